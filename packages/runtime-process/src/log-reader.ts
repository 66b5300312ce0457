/**
 * Reading a module's log files (see log-file.ts): the existing lines filtered by `since`/`until` and cut to `tail`,
 * then, with `follow`, new lines as they are written, across rotations, until the signal aborts or the module is
 * removed.
 *
 * Following is `tail -F` with two differences: the writer is in this process and wakes followers itself (a
 * {@link LogSignal}; a 1 s poll is only a safety net), and a follower that falls behind several rotations goes on with
 * the file that came after its own, not with the newest, so it skips nothing that is still on disk. Memory is bounded
 * by one 64 KiB read buffer, plus `tail` lines.
 */
import { closeSync, fstatSync, openSync, read, statSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { LogLine, LogOptions } from '@ledge/module-runtime'
import { CURRENT_LOG, logFileNames, type LogRecord } from './log-file.js'

const readAsync = promisify(read)
const CHUNK_BYTES = 64 * 1024
const POLL_MS = 1000

/** Wakes followers: the writer bumps it after each write, and ends it when the module is removed or the runtime closes. */
export class LogSignal {
  private version = 0
  private ended = false
  private readonly waiters = new Set<() => void>()

  get current(): number {
    return this.version
  }

  get isEnded(): boolean {
    return this.ended
  }

  bump(): void {
    this.version++
    this.wake()
  }

  end(): void {
    this.ended = true
    this.wake()
  }

  /** Resolves when the version is no longer `seen`, on end, on abort, or after `ms`. */
  wait(seen: number, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.version !== seen || this.ended || signal?.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        this.waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref()
      signal?.addEventListener('abort', done, { once: true })
      this.waiters.add(done)
    })
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
  }
}

/** An open log file and how far it has been read. Holding the descriptor keeps a rotated or deleted file readable. */
class Cursor {
  private offset = 0
  private partial: Buffer = Buffer.alloc(0)

  constructor(
    readonly fd: number,
    readonly ino: number,
  ) {}

  static open(path: string): Cursor | undefined {
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    return new Cursor(fd, fstatSync(fd).ino)
  }

  /** The complete lines from the read position to the current end of the file, a chunk at a time. */
  async *lines(): AsyncGenerator<LogLine> {
    const buf = Buffer.alloc(CHUNK_BYTES)
    for (;;) {
      const { bytesRead } = await readAsync(this.fd, buf, 0, buf.length, this.offset)
      if (bytesRead === 0) return
      this.offset += bytesRead
      const data = this.partial.length > 0 ? Buffer.concat([this.partial, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead)
      const end = data.lastIndexOf(0x0a)
      // Copy: `buf` is reused by the next read.
      this.partial = Buffer.from(data.subarray(end + 1))
      if (end < 0) continue
      for (const text of data.subarray(0, end).toString('utf8').split('\n')) {
        const line = parse(text)
        if (line) yield line
      }
    }
  }

  close(): void {
    closeSync(this.fd)
  }
}

function parse(text: string): LogLine | undefined {
  try {
    const r = JSON.parse(text) as LogRecord
    if (typeof r.t !== 'string' || typeof r.m !== 'string' || (r.s !== 'stdout' && r.s !== 'stderr')) return undefined
    return { stream: r.s, time: r.t, text: r.m }
  } catch {
    return undefined
  }
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino
  } catch {
    return undefined
  }
}

export interface LogSource {
  dir: string
  /** The rotation's `files`, to know the names. */
  files: number
  signal: LogSignal
}

export async function* readLogs(source: LogSource, opts: LogOptions = {}): AsyncGenerator<LogLine> {
  const wanted = (l: LogLine) => {
    if (opts.since === undefined && opts.until === undefined) return true
    const t = Date.parse(l.time)
    return (opts.since === undefined || t >= opts.since) && (opts.until === undefined || t <= opts.until)
  }
  const names = logFileNames(source.files)
  // Opened in one synchronous step: the writer, on this thread, cannot rotate in between.
  const cursors = names.map((n) => Cursor.open(join(source.dir, n)))
  let current = cursors.at(-1)
  const history = cursors.filter((c): c is Cursor => c !== undefined)
  try {
    let seen = source.signal.current
    const tail = opts.tail
    let kept: LogLine[] = []
    for (const c of history) {
      for await (const line of c.lines()) {
        if (!wanted(line)) continue
        if (tail === undefined) yield line
        else if (tail > 0 && kept.push(line) > 2 * tail + 1024) kept = kept.slice(-tail)
      }
      if (c !== current) c.close()
    }
    if (tail !== undefined && tail > 0) yield* kept.slice(-tail)
    kept = []
    if (!opts.follow) return

    const stopped = () => opts.signal?.aborted === true || source.signal.isEnded
    while (!stopped()) {
      if (current) {
        for await (const line of current.lines()) {
          if (stopped()) return
          if (wanted(line)) yield line
        }
        const next = nextFile(source.dir, names, current)
        if (next) {
          // Rotated: what was written to our file before the rotation is all there now; read it, then move on.
          for await (const line of current.lines()) if (wanted(line) && !stopped()) yield line
          current.close()
          current = next
          continue
        }
      } else {
        current = Cursor.open(join(source.dir, CURRENT_LOG))
        if (current) continue
      }
      await source.signal.wait(seen, POLL_MS, opts.signal)
      seen = source.signal.current
    }
  } finally {
    current?.close()
  }
}

/** After a rotation, the file that follows `cursor`'s (or the oldest left, if its own was deleted); else undefined. */
function nextFile(dir: string, names: string[], cursor: Cursor): Cursor | undefined {
  const newest = inode(join(dir, CURRENT_LOG))
  if (newest === undefined || newest === cursor.ino) return undefined
  const chain = names.map((n) => ({ n, ino: inode(join(dir, n)) })).filter((f) => f.ino !== undefined)
  const i = chain.findIndex((f) => f.ino === cursor.ino)
  const next = chain[i + 1] ?? chain[0]
  return next ? Cursor.open(join(dir, next.n)) : undefined
}
