/** A test's clean-up steps, in the order that stops things before what they talk to. */
import type { TestContext } from 'node:test'

/**
 * Steps run last in first out when the test ends: node runs `t.after` hooks in the order they were added, which would
 * stop a hub before the SDK clients and edge runtimes still talking to it (an SDK client that loses its server before
 * `close()` retries for 240 s and keeps the test process alive). A step that fails is ignored: the others still run,
 * and the test's own result stands.
 */
export function cleanupStack(t: TestContext): { push(step: () => unknown): void } {
  const steps: (() => unknown)[] = []
  t.after(async () => {
    for (const step of steps.reverse()) await Promise.resolve().then(step).catch(() => undefined)
  })
  return { push: (step) => void steps.push(step) }
}
