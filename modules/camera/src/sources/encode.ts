/** Any image sharp can read, cropped to fill `width`×`height` (centre) and encoded as a baseline JPEG. */
import sharp from 'sharp'
import type { EncodedFrame } from './frame-source.js'

export async function encodeFrame(input: string | Buffer, o: { width: number; height: number; jpegQuality: number }): Promise<EncodedFrame> {
  const jpeg = await sharp(input, { failOn: 'error' })
    .rotate() // honour EXIF orientation: phone photos are stored sideways
    .resize(o.width, o.height, { fit: 'cover', position: 'centre' })
    .removeAlpha()
    .jpeg({ quality: o.jpegQuality, chromaSubsampling: '4:2:0' })
    .toBuffer()
  return { jpeg, width: o.width, height: o.height }
}
