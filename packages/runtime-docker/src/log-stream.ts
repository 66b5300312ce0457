/**
 * Docker's log stream, decoded. Without a TTY, `GET /containers/{id}/logs` multiplexes stdout and stderr in frames
 * (8-byte header: stream type, 3 zero bytes, big-endian payload size); with one, it is raw stdout. With
 * `timestamps=1` each log message starts with its RFC 3339 time (nanoseconds) and a space. Messages longer than the
 * log driver's 16 KiB buffer arrive in pieces without a newline: pieces are joined into one line, which keeps the time
 * of its first piece.
 */
import type { LogLine } from '@ledge/module-runtime'

export interface TimedLine extends LogLine {
  /** Nanoseconds since the epoch: the exact time, for ordering and for resuming a follow without repeats. */
  ns: bigint
}

const HEADER = 8
const STREAMS: Record<number, LogLine['stream'] | undefined> = { 1: 'stdout', 2: 'stderr' }

/** Splits Docker's multiplexed stream into frames (or passes a TTY's raw stream through as stdout). */
export async function* decodeFrames(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, tty: boolean): AsyncGenerator<{ stream: LogLine['stream']; data: Buffer }> {
  let pending: Buffer = Buffer.alloc(0)
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    if (tty) {
      yield { stream: 'stdout', data: buf }
      continue
    }
    pending = pending.length === 0 ? buf : Buffer.concat([pending, buf])
    while (pending.length >= HEADER) {
      const size = pending.readUInt32BE(4)
      if (pending.length < HEADER + size) break
      const stream = STREAMS[pending[0]!]
      const data = pending.subarray(HEADER, HEADER + size)
      pending = pending.subarray(HEADER + size)
      if (stream) yield { stream, data }
    }
  }
}

/** `2024-05-01T10:00:00.123456789Z` (or with an offset) → nanoseconds since the epoch; undefined if it is not a time. */
export function parseDockerTime(s: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(s)
  if (!m) return undefined
  const seconds = Date.parse(`${m[1]}${m[3]}`)
  if (Number.isNaN(seconds)) return undefined
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))
}

/** Nanoseconds → Docker's `since`/`until` query form, `seconds.nanoseconds`. */
export function dockerSince(ns: bigint): string {
  const s = ns / 1_000_000_000n
  return `${s}.${String(ns % 1_000_000_000n).padStart(9, '0')}`
}

/** The ISO time (milliseconds) of a line: what LogLine.time and the since/until filters use. */
export function msOf(ns: bigint): number {
  return Number(ns / 1_000_000n)
}

/** Frames with `timestamps=1` → lines, each with its time; `\r\n` and `\n` end a line. */
export async function* timedLines(frames: AsyncIterable<{ stream: LogLine['stream']; data: Buffer }>, tty: boolean): AsyncGenerator<TimedLine> {
  const partial: Partial<Record<LogLine['stream'], { ns: bigint; text: string }>> = {}
  // A TTY's raw stream is not cut per message: keep what follows the last newline for the next chunk.
  let ttyRest = ''
  for await (const { stream, data } of frames) {
    let text = data.toString('utf8')
    if (tty) {
      text = ttyRest + text
      const end = text.lastIndexOf('\n')
      ttyRest = end < 0 ? text : text.slice(end + 1)
      if (end < 0) continue
      text = text.slice(0, end + 1)
    }
    for (const message of tty ? text.split(/(?<=\n)/) : [text]) {
      const space = message.indexOf(' ')
      const ns = space > 0 ? parseDockerTime(message.slice(0, space)) : undefined
      if (ns === undefined) continue
      let body = message.slice(space + 1)
      const complete = body.endsWith('\n')
      if (complete) body = body.slice(0, body.endsWith('\r\n') ? -2 : -1)
      const started = partial[stream]
      if (!complete) {
        partial[stream] = started ? { ns: started.ns, text: started.text + body } : { ns, text: body }
        continue
      }
      delete partial[stream]
      const line = started ? { ns: started.ns, text: started.text + body } : { ns, text: body }
      yield { stream, ns: line.ns, time: new Date(msOf(line.ns)).toISOString(), text: line.text }
    }
  }
  // An unterminated last message (a module that exited without a final newline) is still a line.
  for (const stream of ['stdout', 'stderr'] as const) {
    const p = partial[stream]
    if (p) yield { stream, ns: p.ns, time: new Date(msOf(p.ns)).toISOString(), text: p.text }
  }
}
