/**
 * A module's output on disk: one JSON object per line, `{"t": ISO time, "s": "stdout" | "stderr", "m": text}`, in
 * `current.log`, rotated by size to `current.log.1` (newest) … `current.log.<files-1>` (oldest). Docker's `json-file`
 * log driver, with shorter keys.
 *
 * Writes are synchronous appends, one `write(2)` per chunk of output, on the daemon's event loop. That keeps lines in
 * arrival order, makes "the module has exited" imply "its output is on disk", needs no back-pressure machinery (while
 * a chunk is written, the pipes are not read, so a module that writes faster than the disk blocks on its pipe, as
 * with Docker's blocking log mode), and lets a reader open the set of files without a rotation in between. The cost
 * is a copy into the page cache per chunk; nothing is fsynced.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'

export interface LogRotation {
  /** Size at which `current.log` is rotated (a single longer line still goes whole into one file). */
  maxBytes: number
  /** Files kept, `current.log` included. */
  files: number
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, files: 3 }
export const CURRENT_LOG = 'current.log'
/** Longer lines are cut into several records (Docker cuts at 16 KiB too), so one line cannot exhaust memory. */
export const MAX_LINE_CHARS = 16 * 1024

/** One line as stored. */
export interface LogRecord {
  t: string
  s: 'stdout' | 'stderr'
  m: string
}

/** The file names, oldest first: `current.log.<files-1>` … `current.log.1`, `current.log`. */
export function logFileNames(files: number): string[] {
  const names: string[] = []
  for (let i = files - 1; i >= 1; i--) names.push(`${CURRENT_LOG}.${i}`)
  names.push(CURRENT_LOG)
  return names
}

/** Cuts a byte stream into lines: UTF-8 decoded, without their `\n` or `\r\n`; at most {@link MAX_LINE_CHARS} each. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''

  push(chunk: Buffer): string[] {
    const parts = (this.partial + this.decoder.write(chunk)).split('\n')
    this.partial = parts.pop()!
    const lines = parts.map(stripCr)
    while (this.partial.length > MAX_LINE_CHARS) {
      lines.push(this.partial.slice(0, MAX_LINE_CHARS))
      this.partial = this.partial.slice(MAX_LINE_CHARS)
    }
    return splitLong(lines)
  }

  /** The unterminated last line, if any, once the stream has ended. */
  end(): string[] {
    const rest = this.partial + this.decoder.end()
    this.partial = ''
    return rest === '' ? [] : splitLong([stripCr(rest)])
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}

function splitLong(lines: string[]): string[] {
  if (lines.every((l) => l.length <= MAX_LINE_CHARS)) return lines
  return lines.flatMap((l) => {
    const pieces: string[] = []
    for (let i = 0; i < l.length; i += MAX_LINE_CHARS) pieces.push(l.slice(i, i + MAX_LINE_CHARS))
    return pieces.length > 0 ? pieces : ['']
  })
}

export function encodeRecord(r: LogRecord): string {
  return `${JSON.stringify({ t: r.t, s: r.s, m: r.m })}\n`
}

/** Appends records to `dir/current.log`, rotating by size. Not safe for two writers on one directory. */
export class RotatingLogFile {
  private fd: number | undefined
  private size = 0
  private rotated: number | undefined

  constructor(
    readonly dir: string,
    private readonly rotation: LogRotation,
  ) {}

  open(): this {
    mkdirSync(this.dir, { recursive: true })
    this.fd = openSync(join(this.dir, CURRENT_LOG), 'a')
    this.size = fstatSync(this.fd).size
    return this
  }

  /** Appends whole encoded lines (see {@link encodeRecord}); rotates before a line that would cross `maxBytes`. */
  write(lines: readonly string[]): void {
    let batch = ''
    let batchBytes = 0
    for (const line of lines) {
      const bytes = Buffer.byteLength(line)
      if (this.size + batchBytes > 0 && this.size + batchBytes + bytes > this.rotation.maxBytes) {
        this.append(batch)
        this.rotate()
        batch = ''
        batchBytes = 0
      }
      batch += line
      batchBytes += bytes
    }
    this.append(batch)
  }

  close(): void {
    if (this.fd === undefined) return
    closeSync(this.fd)
    this.fd = undefined
  }

  private append(text: string): void {
    if (text === '') return
    if (this.fd === undefined) throw new Error(`log file in ${this.dir} is not open`)
    const buf = Buffer.from(text)
    for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off, buf.length - off)
    this.size += buf.length
  }

  private rotate(): void {
    this.close()
    const path = (i: number) => join(this.dir, i === 0 ? CURRENT_LOG : `${CURRENT_LOG}.${i}`)
    const keep = this.rotation.files
    // Rotated files are .1 … .k without gaps: count them once, then only rename those that exist.
    if (this.rotated === undefined) for (this.rotated = 0; this.rotated < keep - 1 && existsSync(path(this.rotated + 1)); ) this.rotated++
    if (this.rotated >= keep - 1) rmSync(path(keep - 1), { force: true })
    this.rotated = Math.min(this.rotated + 1, keep - 1)
    for (let i = this.rotated - 1; i >= 0; i--) {
      try {
        renameSync(path(i), path(i + 1))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    this.open()
  }
}
