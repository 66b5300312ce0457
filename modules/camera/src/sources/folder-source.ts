/**
 * A folder of images played in a loop, in file-name order, each cropped to the configured size and re-encoded at the
 * configured quality. The folder is listed again at the end of each round, so added or removed files are noticed.
 * Encoded frames are cached (bounded): a simulated camera should not spend the CPU the detector needs re-encoding the
 * same photo. A file that cannot be decoded is logged once and skipped.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '@ledge/common'
import { encodeFrame } from './encode.js'
import { SourceError, type EncodedFrame, type FrameSource, type SourceOptions } from './frame-source.js'

export const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i
const CACHE_LIMIT = 64

/** The image files of a folder listing, sorted by name. Pure. */
export function imageFiles(names: readonly string[]): string[] {
  return names.filter((n) => IMAGE_FILE.test(n) && !n.startsWith('.')).sort()
}

export class FolderSource implements FrameSource {
  readonly kind = 'folder'
  readonly description: string
  private files: string[] = []
  private index = 0
  private readonly cache = new Map<string, EncodedFrame>()
  private readonly bad = new Set<string>()

  constructor(
    private readonly dir: string,
    private readonly options: SourceOptions,
    private readonly log: Logger,
  ) {
    this.description = `folder ${dir}`
  }

  async read(signal: AbortSignal): Promise<EncodedFrame> {
    // At most one full round: a folder with no readable image is a source error, not a busy loop.
    for (let tries = 0; tries <= this.files.length; tries++) {
      signal.throwIfAborted()
      if (this.index >= this.files.length) await this.relist()
      const file = this.files[this.index++]!
      if (this.bad.has(file)) continue
      const cached = this.cache.get(file)
      if (cached) return { ...cached, capturedAt: new Date() }
      try {
        const frame = await encodeFrame(join(this.dir, file), this.options)
        if (this.cache.size < CACHE_LIMIT) this.cache.set(file, frame)
        return { ...frame, capturedAt: new Date() }
      } catch (err) {
        this.bad.add(file)
        this.log.warn({ event: 'source.file_skipped', file, err: (err as Error).message }, 'cannot decode an image: skipped')
      }
    }
    throw new SourceError(`no readable image in the folder ${this.dir}`)
  }

  async close(): Promise<void> {
    this.cache.clear()
  }

  private async relist(): Promise<void> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (err) {
      throw new SourceError(`cannot list the folder ${this.dir}: ${(err as Error).message}`, { cause: err })
    }
    this.files = imageFiles(names)
    this.index = 0
    for (const f of this.cache.keys()) if (!this.files.includes(f)) this.cache.delete(f)
    if (this.files.length === 0) throw new SourceError(`no image files (jpg, png, webp, gif, tiff, avif) in the folder ${this.dir}`)
  }
}
