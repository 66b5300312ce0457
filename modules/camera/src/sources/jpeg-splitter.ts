/**
 * Splits a byte stream of concatenated JPEG images (ffmpeg's `image2pipe` MJPEG output) into whole images. It walks the
 * JPEG marker structure (ITU T.81 B.1): segment lengths up to SOS, then the entropy-coded data, where 0xFF is always
 * followed by 0x00 (stuffing) or a restart marker, until EOI. So an 0xFFD9 inside a segment (an EXIF thumbnail) does
 * not cut an image short. Bytes before an SOI are discarded.
 */
const SOI = 0xd8
const EOI = 0xd9
const SOS = 0xda
const TEM = 0x01

function isRestart(marker: number): boolean {
  return marker >= 0xd0 && marker <= 0xd7
}

export class JpegSplitter {
  private buf: Buffer = Buffer.alloc(0)
  /** Where parsing resumes inside the current image, and whether that is inside entropy-coded data. */
  private pos = 0
  private inScan = false
  /** Largest accepted image; a stream that never ends an image is cut off here. */
  constructor(private readonly maxImageBytes = 32 * 1024 * 1024) {}

  /** Feeds bytes; returns the images completed by them, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    const out: Buffer[] = []
    for (;;) {
      const end = this.scan()
      if (end === undefined) break
      out.push(Buffer.from(this.buf.subarray(0, end)))
      this.buf = this.buf.subarray(end)
      this.pos = 0
      this.inScan = false
    }
    if (this.buf.length > this.maxImageBytes) this.reset()
    return out
  }

  /** Bytes held for an unfinished image. */
  get pending(): number {
    return this.buf.length
  }

  private reset(): void {
    this.buf = Buffer.alloc(0)
    this.pos = 0
    this.inScan = false
  }

  /** The end offset of a complete image at the start of the buffer, or undefined when more bytes are needed. */
  private scan(): number | undefined {
    const b = this.buf
    if (this.pos === 0) {
      const start = findSoi(b)
      if (start < 0) {
        // Keep a trailing 0xFF: it may begin the next SOI.
        this.buf = b.length > 0 && b[b.length - 1] === 0xff ? b.subarray(b.length - 1) : Buffer.alloc(0)
        return undefined
      }
      if (start > 0) return this.discard(start)
      this.pos = 2
    }
    let i = this.pos
    for (;;) {
      if (this.inScan) {
        // Entropy-coded data: look for an 0xFF that starts a real marker.
        for (;;) {
          const ff = b.indexOf(0xff, i)
          if (ff < 0 || ff + 1 >= b.length) {
            this.pos = ff < 0 ? b.length : ff
            return undefined
          }
          const next = b[ff + 1]!
          if (next === 0x00 || isRestart(next) || next === 0xff) {
            i = ff + (next === 0xff ? 1 : 2)
            continue
          }
          i = ff
          this.inScan = false
          break
        }
      }
      if (i + 1 >= b.length) {
        this.pos = i
        return undefined
      }
      if (b[i] !== 0xff) {
        // Not a marker where one must be: the image is corrupt; resynchronise on the next SOI.
        return this.discard(i)
      }
      const marker = b[i + 1]!
      if (marker === 0xff) {
        i += 1 // fill byte
        continue
      }
      if (marker === EOI) return i + 2
      if (marker === SOI) return this.discard(i) // a new image before this one ended
      if (isRestart(marker) || marker === TEM) {
        i += 2
        continue
      }
      if (i + 3 >= b.length) {
        this.pos = i
        return undefined
      }
      const length = b.readUInt16BE(i + 2)
      if (i + 2 + length > b.length) {
        this.pos = i
        return undefined
      }
      i += 2 + length
      if (marker === SOS) this.inScan = true
    }
  }

  /** Drops the first `n` bytes (garbage or a broken image) and scans again. */
  private discard(n: number): number | undefined {
    this.buf = this.buf.subarray(n)
    this.pos = 0
    this.inScan = false
    return this.scan()
  }
}

function findSoi(b: Buffer): number {
  for (let i = b.indexOf(0xff); i >= 0 && i + 1 < b.length; i = b.indexOf(0xff, i + 1)) {
    if (b[i + 1] === SOI) return i
  }
  return -1
}
