#!/usr/bin/env node
// Builds the sample frames (idempotent: does nothing when they are complete). Usage:
//   node modules/camera/scripts/prepare-samples.mjs [--out <dir>] [--force]
//
// <out> (default modules/camera/samples/, ignored by git):
//   faces/    photos with people: the @vladmandic/face-api demo photos and scikit-image's astronaut
//   empty/    photos without people, from the Debian package python3-skimage's data folder
//   mixed/    both, interleaved (two without people after each with): the camera's default source
//   corrupt/  truncated.jpg from python3-skimage (a JPEG cut short) and garbage.jpg (not an image at all)
//   labels.json  {"faces/sample1.jpg": 3, "empty/brick.jpg": 0, …}: the number of faces, counted by eye
//
// python3-skimage is not installed: when /usr/lib/python3/dist-packages/skimage/data is absent, the .deb is fetched with
// `apt-get download` and unpacked with `dpkg-deb -x` into <out>/.cache, so its dependencies (numpy, scipy…) are
// not installed. Needs the Debian mirror once.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const sharp = require('sharp')

const VERSION = 1
const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const outArg = args.indexOf('--out')
const out = resolve(outArg >= 0 ? args[outArg + 1] : join(here, '..', 'samples'))
const force = args.includes('--force')

/** Faces per photo, counted by looking at them (every face with both eyes or a clear profile visible). */
const FACE_API_PHOTOS = { 'sample1.jpg': 3, 'sample2.jpg': 3, 'sample3.jpg': 3, 'sample4.jpg': 4, 'sample5.jpg': 5, 'sample6.jpg': 4 }
const SKIMAGE_FACES = { 'astronaut.png': 1 }
/**
 * scikit-image pictures without people. Left out: camera.png (a cameraman, face half hidden: ambiguous), coins.png
 * (the coins carry portraits in relief: ambiguous), and tiny synthetic images.
 */
const SKIMAGE_EMPTY = ['brick.png', 'chelsea.png', 'coffee.png', 'grass.png', 'gravel.png', 'horse.png', 'hubble_deep_field.jpg', 'moon.png',
  'motorcycle_left.png', 'motorcycle_right.png', 'rocket.jpg', 'retina.jpg', 'ihc.png', 'page.png', 'text.png', 'color.png', 'logo.png', 'clock_motion.png']
const SKIMAGE_SYSTEM = '/usr/lib/python3/dist-packages/skimage/data'

const marker = join(out, '.complete')
if (!force && existsSync(marker) && readFileSync(marker, 'utf8').trim() === String(VERSION)) {
  console.log(`samples ready in ${out}`)
  process.exit(0)
}

function skimageData() {
  if (existsSync(join(SKIMAGE_SYSTEM, 'astronaut.png'))) return SKIMAGE_SYSTEM
  const cache = join(out, '.cache')
  const data = join(cache, 'root', 'usr/lib/python3/dist-packages/skimage/data')
  if (existsSync(join(data, 'astronaut.png'))) return data
  mkdirSync(cache, { recursive: true })
  let deb = readdirSync(cache).find((f) => /^python3-skimage_.*\.deb$/.test(f))
  if (!deb) {
    console.log('fetching python3-skimage with apt-get download (its dependencies are not installed)')
    execFileSync('apt-get', ['download', 'python3-skimage'], { cwd: cache, stdio: ['ignore', 'inherit', 'pipe'] })
    deb = readdirSync(cache).find((f) => /^python3-skimage_.*\.deb$/.test(f))
    if (!deb) throw new Error('apt-get download python3-skimage left no .deb')
  }
  execFileSync('dpkg-deb', ['-x', join(cache, deb), join(cache, 'root')])
  return data
}

async function toJpeg(from, to) {
  if (/\.jpe?g$/i.test(from)) copyFileSync(from, to)
  else await sharp(from).flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toFile(to)
}

const faceApiDemo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo')
const skimage = skimageData()
for (const d of ['faces', 'empty', 'mixed', 'corrupt']) {
  rmSync(join(out, d), { recursive: true, force: true })
  mkdirSync(join(out, d), { recursive: true })
}
const labels = {}
for (const [name, n] of Object.entries(FACE_API_PHOTOS)) {
  await toJpeg(join(faceApiDemo, name), join(out, 'faces', name))
  labels[`faces/${name}`] = n
}
for (const [name, n] of Object.entries(SKIMAGE_FACES)) {
  const jpg = name.replace(/\.\w+$/, '.jpg')
  await toJpeg(join(skimage, name), join(out, 'faces', jpg))
  labels[`faces/${jpg}`] = n
}
for (const name of SKIMAGE_EMPTY) {
  const jpg = name.replace(/\.\w+$/, '.jpg')
  await toJpeg(join(skimage, name), join(out, 'empty', jpg))
  labels[`empty/${jpg}`] = 0
}
// mixed/: one with people, then two without, … (file names sort in that order).
const faces = Object.keys(labels).filter((k) => k.startsWith('faces/'))
const empty = Object.keys(labels).filter((k) => k.startsWith('empty/'))
const order = []
while (faces.length || empty.length) {
  if (faces.length) order.push(faces.shift())
  for (let i = 0; i < 2 && empty.length; i++) order.push(empty.shift())
}
order.forEach((k, i) => copyFileSync(join(out, k), join(out, 'mixed', `${String(i).padStart(2, '0')}-${k.split('/')[1]}`)))
copyFileSync(join(skimage, 'truncated.jpg'), join(out, 'corrupt', 'truncated.jpg'))
writeFileSync(join(out, 'corrupt', 'garbage.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('not really a JPEG '.repeat(40))]))
writeFileSync(join(out, 'labels.json'), JSON.stringify(labels, null, 2) + '\n')
writeFileSync(marker, `${VERSION}\n`)
const withFaces = Object.values(labels).filter((n) => n > 0).length
console.log(`samples written to ${out}: ${withFaces} photos with faces, ${Object.keys(labels).length - withFaces} without`)
