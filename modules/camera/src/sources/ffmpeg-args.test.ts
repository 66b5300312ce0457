import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ffmpegArgs, ffmpegInputKind, mjpegQscale } from './ffmpeg-args.js'

const base = { fps: 5, width: 640, height: 480, jpegQuality: 80 }

test('input kinds: files, streams and V4L2 devices', () => {
  assert.equal(ffmpegInputKind('/videos/lobby.mp4'), 'file')
  assert.equal(ffmpegInputKind('file:///videos/lobby.mp4'), 'file')
  assert.equal(ffmpegInputKind('rtsp://cam.local:554/stream1'), 'stream')
  assert.equal(ffmpegInputKind('http://cam.local/mjpeg'), 'stream')
  assert.equal(ffmpegInputKind('/dev/video0'), 'v4l2')
  assert.equal(ffmpegInputKind('v4l2:/dev/v4l/by-id/usb-cam'), 'v4l2')
})

test('a file is read at its native rate and looped; output is MJPEG at the size and rate', () => {
  const args = ffmpegArgs({ ...base, source: '/videos/lobby.mp4' })
  assert.deepEqual(args.slice(args.indexOf('-re'), args.indexOf('-i') + 2), ['-re', '-stream_loop', '-1', '-i', '/videos/lobby.mp4'])
  assert.equal(args[args.indexOf('-vf') + 1], 'fps=5,scale=640:480:force_original_aspect_ratio=increase,crop=640:480,format=yuvj420p')
  assert.deepEqual(args.slice(-3), ['-f', 'image2pipe', 'pipe:1'])
})

test('RTSP goes over TCP without -re; V4L2 names its format', () => {
  const rtsp = ffmpegArgs({ ...base, source: 'rtsp://cam/1' })
  assert.ok(!rtsp.includes('-re'))
  assert.equal(rtsp[rtsp.indexOf('-rtsp_transport') + 1], 'tcp')
  const v4l2 = ffmpegArgs({ ...base, source: 'v4l2:/dev/v4l/by-id/usb-cam' })
  assert.deepEqual(v4l2.slice(v4l2.indexOf('-f'), v4l2.indexOf('-i') + 2), ['-f', 'v4l2', '-i', '/dev/v4l/by-id/usb-cam'])
})

test('JPEG quality maps onto qscale 2 (best) … 31 (worst)', () => {
  assert.equal(mjpegQscale(100), 2)
  assert.equal(mjpegQscale(1), 31)
  assert.ok(mjpegQscale(80) > 2 && mjpegQscale(80) < 10)
})
