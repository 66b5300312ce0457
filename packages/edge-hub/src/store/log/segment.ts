/** A segment file of the log and a message's place in one. */
import type { FileHandle } from 'node:fs/promises'
import { open, unlink } from 'node:fs/promises'
import { join } from 'node:path'

export const SEGMENT_SUFFIX = '.seg'

export const segmentName = (no: number): string => `${String(no).padStart(12, '0')}${SEGMENT_SUFFIX}`

export class Segment {
  /** Messages in it still referenced by a queue. */
  live = 0
  /** Its messages are all gone (or dropped): to be deleted by the next commit. */
  dead = false
  lastSeq = 0
  private fh: FileHandle | undefined
  private opening: Promise<FileHandle> | undefined
  private readers = 0
  private deleted = false

  constructor(
    readonly no: number,
    readonly path: string,
    /** Bytes of valid records (the file is never longer once recovered). */
    public size: number,
    fh?: FileHandle,
  ) {
    this.fh = fh
  }

  static path(dir: string, no: number): string {
    return join(dir, segmentName(no))
  }

  /** Creates a new, empty segment file (never overwriting one). */
  static async create(dir: string, no: number): Promise<Segment> {
    const path = Segment.path(dir, no)
    return new Segment(no, path, 0, await open(path, 'wx+'))
  }

  async handle(): Promise<FileHandle> {
    if (this.fh) return this.fh
    this.opening ??= open(this.path, 'r+').then((fh) => (this.fh = fh))
    return this.opening
  }

  /** Reads `length` bytes at `position` (the file stays open while reads run, even if deleted meanwhile). */
  async read(position: number, length: number): Promise<Buffer> {
    this.readers++
    try {
      const fh = await this.handle()
      const buf = Buffer.allocUnsafe(length)
      const { bytesRead } = await fh.read(buf, 0, length, position)
      return bytesRead === length ? buf : buf.subarray(0, bytesRead)
    } finally {
      if (--this.readers === 0 && this.deleted) await this.close()
    }
  }

  async delete(): Promise<void> {
    this.deleted = true
    await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    if (this.readers === 0) await this.close()
  }

  async close(): Promise<void> {
    const fh = this.fh
    this.fh = undefined
    this.opening = undefined
    await fh?.close()
  }
}

/** Where a message's record is. */
export interface Entry {
  seg: Segment
  pos: number
  len: number
  /** Queues still referencing it. */
  refs: number
  enqueuedAt: number
}
