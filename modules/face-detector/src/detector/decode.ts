/**
 * JPEG to RGB pixels with sharp (libvips). A truncated or damaged image is an error, not a grey frame: `failOn:
 * 'error'` makes libjpeg's "premature end of data" fatal.
 */
import sharp from 'sharp'

export interface RgbImage {
  data: Uint8Array
  width: number
  height: number
}

export class CorruptFrameError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CorruptFrameError'
  }
}

export async function decodeJpeg(jpeg: Uint8Array): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(jpeg, { failOn: 'error' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`)
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }
  } catch (err) {
    throw new CorruptFrameError(`cannot decode the frame: ${(err as Error).message}`, { cause: err })
  }
}
