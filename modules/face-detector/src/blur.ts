/**
 * Blurs the faces of a frame before it leaves the device. Each box is grown by a margin (hair, chin), clamped to the
 * frame, blurred strongly enough that the face cannot be recognised (sigma ∝ box size), and composited back.
 */
import sharp from 'sharp'
import type { FaceBox } from './detector/protocol.js'

const MARGIN = 0.2

export function blurRegion(f: Pick<FaceBox, 'x' | 'y' | 'width' | 'height'>, width: number, height: number): { left: number; top: number; width: number; height: number } | undefined {
  const mx = f.width * MARGIN
  const my = f.height * MARGIN
  const left = Math.max(0, Math.floor(f.x - mx))
  const top = Math.max(0, Math.floor(f.y - my))
  const right = Math.min(width, Math.ceil(f.x + f.width + mx))
  const bottom = Math.min(height, Math.ceil(f.y + f.height + my))
  if (right - left < 2 || bottom - top < 2) return undefined
  return { left, top, width: right - left, height: bottom - top }
}

export async function blurFaces(jpeg: Buffer, faces: readonly FaceBox[], width: number, height: number, quality = 85): Promise<Buffer> {
  const regions = faces.map((f) => blurRegion(f, width, height)).filter((r) => r !== undefined)
  if (regions.length === 0) return jpeg
  const patches = await Promise.all(regions.map(async (r) => ({
    input: await sharp(jpeg).extract(r).blur(Math.max(4, Math.min(r.width, r.height) / 6)).toBuffer(),
    left: r.left,
    top: r.top,
  })))
  return sharp(jpeg).composite(patches).jpeg({ quality }).toBuffer()
}
