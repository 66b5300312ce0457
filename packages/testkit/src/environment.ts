/**
 * What a test needs from the machine. Outside CI a missing privilege or service skips the test with the reason;
 * in CI (CI=true) it fails instead, because a skipped test there proves nothing.
 */
import type { TestContext } from 'node:test'

export const inCi = process.env.CI === 'true' || process.env.CI === '1'

/** Returns false (and skips the test) when `problem` is set outside CI; throws in CI. */
export function requireEnvironment(t: TestContext, problem: string | undefined): boolean {
  if (!problem) return true
  if (inCi) throw new Error(`test environment incomplete in CI: ${problem}`)
  t.skip(problem)
  return false
}

export function testCaFiles(): { certFile: string; keyFile: string } {
  const certFile = process.env.LEDGE_TEST_CA_CERT
  const keyFile = process.env.LEDGE_TEST_CA_KEY
  if (!certFile || !keyFile) throw new Error('LEDGE_TEST_CA_CERT/KEY are not set: run the tests with `npm test` (scripts/test.mjs prepares the test CA)')
  return { certFile, keyFile }
}
