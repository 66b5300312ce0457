/** The frame sources against real files and a real ffmpeg. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { silentLogger } from '@ledge/common'
import { requireEnvironment } from '@ledge/testkit'
import { FfmpegSource } from '../src/sources/ffmpeg-source.js'
import { FolderSource } from '../src/sources/folder-source.js'
import { SourceError } from '../src/sources/frame-source.js'
import { sourceKindOf } from '../src/sources/open-source.js'
import { ensureSamples, ffmpegProblem, makeVideo } from './helpers.js'

const log = silentLogger()
const signal = new AbortController().signal

test('folder source: every image in name order, re-encoded at the size and quality, looping; unreadable files skipped', async (t) => {
  const samples = ensureSamples()
  const dir = await mkdtemp(join(tmpdir(), 'ledge-camera-folder-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await copyFile(join(samples, 'faces', 'sample1.jpg'), join(dir, 'b.jpg'))
  await copyFile(join(samples, 'empty', 'brick.jpg'), join(dir, 'a.jpg'))
  await copyFile(join(samples, 'corrupt', 'garbage.jpg'), join(dir, 'c.jpg'))
  await writeFile(join(dir, 'notes.txt'), 'not an image')
  assert.equal(await sourceKindOf({ source: dir, sourceType: 'auto' }), 'folder')

  const src = new FolderSource(dir, { source: dir, fps: 5, width: 320, height: 240, jpegQuality: 60 }, log)
  const frames = []
  for (let i = 0; i < 4; i++) frames.push(await src.read(signal))
  const sizes = await Promise.all(frames.map(async (f) => {
    const m = await sharp(f.jpeg).metadata()
    return `${m.format} ${m.width}x${m.height}`
  }))
  assert.deepEqual(sizes, Array(4).fill('jpeg 320x240'))
  // a, b, (c skipped), a, b: the loop comes round again.
  assert.ok(frames[0]!.jpeg.equals(frames[2]!.jpeg))
  assert.ok(frames[1]!.jpeg.equals(frames[3]!.jpeg))
  assert.ok(!frames[0]!.jpeg.equals(frames[1]!.jpeg))
  const low = await new FolderSource(dir, { source: dir, fps: 5, width: 320, height: 240, jpegQuality: 20 }, log).read(signal)
  assert.ok(low.jpeg.length < frames[0]!.jpeg.length, 'a lower quality makes smaller frames')
  await src.close()
})

test('folder source: an empty or missing folder is a source error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-camera-empty-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const opts = { source: dir, fps: 5, width: 320, height: 240, jpegQuality: 60 }
  await assert.rejects(new FolderSource(dir, opts, log).read(signal), (e: Error) => e instanceof SourceError && /no image files/.test(e.message))
  await assert.rejects(new FolderSource(join(dir, 'nope'), opts, log).read(signal), /cannot list the folder/)
})

test('ffmpeg source: a video file becomes JPEG frames at the size and rate, looping', { timeout: 60_000 }, async (t) => {
  if (!requireEnvironment(t, ffmpegProblem())) return
  const samples = ensureSamples()
  const dir = await mkdtemp(join(tmpdir(), 'ledge-camera-video-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const video = join(dir, 'lobby.mp4')
  makeVideo(video, samples, 1)
  assert.equal(await sourceKindOf({ source: video, sourceType: 'auto' }), 'ffmpeg')

  const src = new FfmpegSource({ source: video, fps: 10, width: 320, height: 240, jpegQuality: 70 }, log)
  t.after(() => src.close())
  const started = performance.now()
  const frames = []
  // 25 frames at 10 fps of a 1 s video: the loop must have come round at least once.
  for (let i = 0; i < 25; i++) frames.push(await src.read(signal))
  const seconds = (performance.now() - started) / 1000
  for (const f of [frames[0]!, frames[24]!]) {
    const m = await sharp(f.jpeg).metadata()
    assert.equal(`${m.format} ${m.width}x${m.height}`, 'jpeg 320x240')
  }
  assert.ok(seconds > 1.5 && seconds < 6, `25 frames at 10 fps took ${seconds.toFixed(2)} s`)
  await src.close()
})

test('ffmpeg source: a missing file is a source error naming ffmpeg\'s complaint', { timeout: 30_000 }, async (t) => {
  if (!requireEnvironment(t, ffmpegProblem())) return
  const src = new FfmpegSource({ source: '/nonexistent/video.mp4', fps: 5, width: 320, height: 240, jpegQuality: 70 }, log)
  await assert.rejects(src.read(signal), (e: Error) => e instanceof SourceError && /No such file/.test(e.message))
  await src.close()
  const missing = new FfmpegSource({ source: '/x.mp4', fps: 5, width: 320, height: 240, jpegQuality: 70 }, log, '/nonexistent/ffmpeg')
  await assert.rejects(missing.read(signal), /ffmpeg not found/)
})
