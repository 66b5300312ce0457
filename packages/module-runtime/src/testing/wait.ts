import type { LogLine, LogOptions, ModuleRuntime, ModuleState, ModuleStatus } from '../module-runtime.js'

const POLL_MS = 25
/** Generous: CI machines and shared development VMs can be heavily loaded. */
export const WAIT_MS = 30_000

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `get` until the module has one of `statuses`; fails after `timeoutMs` with the last state seen. */
export async function waitForStatus(
  runtime: ModuleRuntime,
  name: string,
  statuses: ModuleStatus | ModuleStatus[],
  timeoutMs = WAIT_MS,
): Promise<ModuleState> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses]
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const state = await runtime.get(name)
    if (state && wanted.includes(state.status)) return state
    if (Date.now() > deadline) {
      throw new Error(`module '${name}' did not become ${wanted.join('|')} in ${timeoutMs} ms; last: ${JSON.stringify(state)}`)
    }
    await sleep(POLL_MS)
  }
}

/** Polls `until` until it returns a value other than undefined. */
export async function waitUntil<T>(what: string, until: () => T | undefined | Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await until()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(POLL_MS)
  }
}

export async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = []
  for await (const line of lines) out.push(line)
  return out
}

export async function logTexts(runtime: ModuleRuntime, name: string, opts: LogOptions = {}, stream?: LogLine['stream']): Promise<string[]> {
  const lines = await collect(runtime.logs(name, opts))
  return lines.filter((l) => stream === undefined || l.stream === stream).map((l) => l.text)
}

/** Waits until the module's logs hold a line equal to `text`. */
export function waitForLog(runtime: ModuleRuntime, name: string, text: string, timeoutMs = WAIT_MS): Promise<true> {
  return waitUntil(`log line '${text}' of '${name}'`, async () => ((await logTexts(runtime, name)).includes(text) ? true : undefined), timeoutMs)
}

/** Asserts that `fn` rejects with an error carrying `code` and, if given, a message that contains `mentions`. */
export function hasCode(code: string, mentions?: string) {
  return (err: unknown): boolean => {
    const e = err as { code?: unknown; message?: unknown }
    if (e?.code !== code) throw new Error(`expected ${code}, got ${String(e?.code)}: ${String(e?.message)}`)
    if (mentions !== undefined && !String(e.message).includes(mentions)) {
      throw new Error(`expected the ${code} message to name '${mentions}': ${String(e.message)}`)
    }
    return true
  }
}
