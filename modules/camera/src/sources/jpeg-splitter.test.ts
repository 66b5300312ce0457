import { test } from 'node:test'
import assert from 'node:assert/strict'
import sharp from 'sharp'
import { JpegSplitter } from './jpeg-splitter.js'

async function jpeg(color: string, w = 32, h = 24): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: color } }).jpeg({ quality: 70 }).toBuffer()
}

/** A JPEG with an APP1 segment holding FF D9 (as an EXIF thumbnail would), right after SOI. */
function withTrickySegment(j: Buffer): Buffer {
  const payload = Buffer.from([0x45, 0x78, 0x69, 0x66, 0x00, 0x00, 0xff, 0xd9, 0xff, 0xd8, 0x01])
  const seg = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.from([0, payload.length + 2]), payload])
  return Buffer.concat([j.subarray(0, 2), seg, j.subarray(2)])
}

test('splits concatenated JPEGs fed in chunks of any size', async () => {
  const images = [await jpeg('#f00'), await jpeg('#0f0', 64, 48), await jpeg('#00f')]
  const stream = Buffer.concat(images)
  for (const size of [1, 7, 100, 4096, stream.length]) {
    const s = new JpegSplitter()
    const out: Buffer[] = []
    for (let i = 0; i < stream.length; i += size) out.push(...s.push(stream.subarray(i, i + size)))
    assert.equal(out.length, 3, `chunk size ${size}`)
    out.forEach((o, i) => assert.ok(o.equals(images[i]!)))
    assert.equal(s.pending, 0)
  }
})

test('an FF D9 inside a segment does not end the image; garbage between images is skipped', async () => {
  const a = withTrickySegment(await jpeg('#888'))
  const b = await jpeg('#123')
  const s = new JpegSplitter()
  const out = s.push(Buffer.concat([Buffer.from('noise'), a, Buffer.from([0x00, 0x12, 0xff]), b]))
  assert.equal(out.length, 2)
  assert.ok(out[0]!.equals(a))
  assert.ok(out[1]!.equals(b))
  const meta = await sharp(out[0]!).metadata()
  assert.equal(meta.width, 32)
})

test('an image cut short (in its entropy-coded data) by the next SOI is dropped, the next one kept', async () => {
  const noise = Buffer.alloc(64 * 48 * 3)
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251
  const a = await sharp(noise, { raw: { width: 64, height: 48, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
  const b = await jpeg('#def')
  const s = new JpegSplitter()
  const out = s.push(Buffer.concat([a.subarray(0, a.length - 50), b]))
  assert.equal(out.length, 1)
  assert.ok(out[0]!.equals(b))
})
