import { it, type TestContext } from 'node:test'
import type { ModuleConfig, ModuleRuntime } from '../module-runtime.js'

/**
 * A test module the adapter must be able to build, described as data (the process runtime runs small `node -e`
 * programs; a container runtime builds or picks images). Every behaviour that keeps running exits with code 0 on
 * SIGTERM, except `ignoreSigterm`.
 */
export type TestBehaviour =
  /** Runs until stopped; prints nothing. */
  | { kind: 'sleep' }
  /** Exits by itself with `code` after `afterMs`. */
  | { kind: 'exit'; code: number; afterMs: number }
  /**
   * Prints `lines` to stdout (one every `intervalMs`, default all at once), then `stderr` to stderr, then sleeps until
   * stopped (`thenSleep`) or exits with code 0.
   */
  | { kind: 'print'; lines: string[]; stderr?: string[]; intervalMs?: number; thenSleep: boolean }
  /** Prints `NAME=value` on stdout for each of `names` (empty value when unset), then exits with code 0. */
  | { kind: 'printEnv'; names: string[] }
  /** Prints `tick 0`, `tick 1`, … on stdout, one every `intervalMs`, until stopped. */
  | { kind: 'tick'; intervalMs: number }
  /** Ignores SIGTERM, prints `ready` on stdout once it does, and runs until killed. */
  | { kind: 'ignoreSigterm' }

/** What an adapter's factory returns for one test: a fresh runtime with no modules. */
export interface ModuleRuntimeFixture {
  runtime: ModuleRuntime
  /**
   * Opens a runtime on the same state again, after the suite has closed `runtime` (a daemon restart). Leave it out
   * for runtimes that keep nothing across `close()`: the durability cases are then skipped.
   */
  reopen?: () => Promise<ModuleRuntime>
  /** Releases what `create` made (temp directories, images). Called once, after the suite closed every runtime. */
  cleanup(): Promise<void>
}

export interface ModuleRuntimeContractOptions {
  /** Shown in the test names, e.g. 'process'. */
  name: string
  /** Makes a fresh runtime with no modules; called once per test case. */
  create: () => Promise<ModuleRuntimeFixture>
  /** A valid config of this runtime's type for a module called `name` that behaves as `behaviour`. */
  moduleConfig: (name: string, behaviour: TestBehaviour) => ModuleConfig
  /**
   * Adapter-specific settings that `create` must refuse with ERR_MODULE_INVALID, each with the setting the message
   * must name (for the process runtime: `{ config: {…settings: {command: ''}}, setting: 'command' }`).
   */
  invalidConfigs?: (name: string) => { config: ModuleConfig; setting: string }[]
}

/** The runtime under test and the helpers the cases use. */
export interface RuntimeSession {
  /** The currently open runtime (changes after `reopen`). */
  readonly runtime: ModuleRuntime
  readonly canReopen: boolean
  /** Closes the current runtime and opens one on the same state. */
  reopen(): Promise<ModuleRuntime>
  config(name: string, behaviour: TestBehaviour): ModuleConfig
  readonly options: ModuleRuntimeContractOptions
}

export type RuntimeCase = (name: string, fn: (s: RuntimeSession, t: TestContext) => Promise<void>) => void

/** Per case: real processes or containers start, so allow for a slow machine. */
const CASE_TIMEOUT_MS = 120_000

/**
 * `it`, but each case gets a fresh runtime. Afterwards every module still known is removed (so that no process or
 * container outlives the test, whatever the adapter's `close()` does), the runtime is closed and `cleanup` runs,
 * whether the case passed or not.
 */
export function runtimeCase(opts: ModuleRuntimeContractOptions): RuntimeCase {
  return (name, fn) => {
    it(name, { timeout: CASE_TIMEOUT_MS }, async (t) => {
      const fixture = await opts.create()
      let current: ModuleRuntime | undefined = fixture.runtime
      const session: RuntimeSession = {
        get runtime() {
          if (!current) throw new Error('the runtime is closed')
          return current
        },
        canReopen: fixture.reopen !== undefined,
        async reopen() {
          if (!fixture.reopen) throw new Error('this adapter gives no reopen()')
          const closing = current
          current = undefined
          await closing?.close()
          current = await fixture.reopen()
          return current
        },
        config: opts.moduleConfig,
        options: opts,
      }
      try {
        await fn(session, t)
      } finally {
        try {
          if (current) await removeAll(current)
          await current?.close()
        } finally {
          await fixture.cleanup()
        }
      }
    })
  }
}

async function removeAll(runtime: ModuleRuntime): Promise<void> {
  const modules = await runtime.list().catch(() => [])
  await Promise.allSettled(modules.map((m) => runtime.remove(m.name)))
}
