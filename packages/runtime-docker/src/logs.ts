/**
 * `logs` of a module: the engine's log (json-file, local or journald driver) through `GET /containers/{id}/logs`,
 * with `timestamps=1` so that every line has its exact time. `since`/`until` (epoch ms, inclusive, compared with the
 * millisecond time a line reports) and `tail` (counted after them) are applied here, the engine being asked only for
 * a superset, so that the port's semantics hold whatever the engine version does with them.
 *
 * `follow` reads what exists, then keeps a following request open while the container runs; when the container is
 * not running (not started yet, exited, restarting) it waits for its next start and resumes from the last line's
 * nanosecond time, skipping the lines it already gave: no gap, no repeat, across restarts.
 */
import type Docker from 'dockerode'
import type { LogLine, LogOptions } from '@ledge/module-runtime'
import { toAppError } from './errors.js'
import { decodeFrames, dockerSince, msOf, timedLines, type TimedLine } from './log-stream.js'

export interface LogSource {
  docker: Docker
  containerId: string
  tty: boolean
  /** Whether the container still exists (and the runtime is open): a follow ends when it does not. */
  exists(): Promise<boolean>
  /** Resolves when the module may have started again (an event, or a poll interval), or `signal` aborts. */
  started(signal: AbortSignal): Promise<void>
  /** The runtime's close: ends every follow. */
  closed: AbortSignal
  uri: string
}

interface Query {
  since?: string
  until?: string
  tail?: number
  follow: boolean
}

/** Where a reader is: the time of the last line consumed, and how many lines had exactly that time. */
interface Cursor {
  ns: bigint | undefined
  seen: number
}

export async function* readLogs(src: LogSource, opts: LogOptions): AsyncGenerator<LogLine> {
  const { since, until, tail } = opts
  const inRange = (l: TimedLine) => (since === undefined || msOf(l.ns) >= since) && (until === undefined || msOf(l.ns) <= until)
  const filtered = since !== undefined || until !== undefined
  const first: Query = { follow: false }
  if (since !== undefined) first.since = dockerSince(BigInt(since) * 1_000_000n)
  // `until` is inclusive of the whole millisecond a line reports.
  if (until !== undefined) first.until = dockerSince(BigInt(until + 1) * 1_000_000n)
  if (!filtered && tail !== undefined) first.tail = Math.max(tail, 1)

  const cursor: Cursor = { ns: undefined, seen: 0 }
  const existing: TimedLine[] = []
  for await (const l of fetchLines(src, first, undefined)) if (consume(cursor, l) && inRange(l)) existing.push(l)
  const shown = tail === undefined ? existing : tail <= 0 ? [] : existing.slice(-tail)
  for (const l of shown) yield strip(l)

  if (!opts.follow || opts.signal?.aborted) return
  const signal = opts.signal ? AbortSignal.any([opts.signal, src.closed]) : src.closed
  while (!signal.aborted) {
    if (until !== undefined && Date.now() > until) return
    const q: Query = { follow: true }
    if (cursor.ns !== undefined) q.since = dockerSince(cursor.ns)
    else if (first.since !== undefined) q.since = first.since
    let skip = cursor.seen
    try {
      for await (const l of fetchLines(src, q, signal)) {
        if (cursor.ns !== undefined && l.ns === cursor.ns && skip > 0) {
          skip--
          continue
        }
        if (!consume(cursor, l)) continue
        if (inRange(l)) yield strip(l)
        if (signal.aborted) return
      }
    } catch (err) {
      if (signal.aborted) return
      throw err
    }
    if (signal.aborted || !(await src.exists())) return
    await src.started(signal)
  }
}

/** Moves the cursor past `l`; false if `l` is older than the cursor (already given). */
function consume(c: Cursor, l: TimedLine): boolean {
  if (c.ns !== undefined && l.ns < c.ns) return false
  if (c.ns === l.ns) c.seen++
  else {
    c.ns = l.ns
    c.seen = 1
  }
  return true
}

function strip(l: TimedLine): LogLine {
  return { stream: l.stream, time: l.time, text: l.text }
}

async function* fetchLines(src: LogSource, q: Query, signal: AbortSignal | undefined): AsyncGenerator<TimedLine> {
  const container = src.docker.getContainer(src.containerId)
  const params: Record<string, unknown> = { stdout: true, stderr: true, timestamps: true, follow: q.follow }
  if (q.since !== undefined) params.since = q.since
  if (q.until !== undefined) params.until = q.until
  if (q.tail !== undefined) params.tail = q.tail
  if (signal) params.abortSignal = signal
  let body: NodeJS.ReadableStream | Buffer
  try {
    body = (await container.logs(params as never)) as unknown as NodeJS.ReadableStream | Buffer
  } catch (err) {
    if (signal?.aborted) return
    throw toAppError(err, 'reading logs', src.uri)
  }
  const source = Buffer.isBuffer(body) ? [body] : (body as AsyncIterable<Buffer>)
  try {
    yield* timedLines(decodeFrames(source, src.tty), src.tty)
  } finally {
    if (!Buffer.isBuffer(body)) (body as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.()
  }
}
