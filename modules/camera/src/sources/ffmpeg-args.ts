/**
 * The ffmpeg command line of a source. Pure, so the choices are tested without ffmpeg:
 * - a file is read at its native rate (`-re`) and looped (`-stream_loop -1`), like a camera that never ends;
 * - an RTSP stream is read over TCP (UDP loses frames behind NAT and on busy links);
 * - `/dev/video*` is a V4L2 device;
 * - the `fps` filter emits frames at the configured rate, `scale`+`crop` fill the configured size (centre crop, as the
 *   folder source does), and MJPEG goes to stdout through `image2pipe`.
 */
import type { SourceOptions } from './frame-source.js'

export type FfmpegInputKind = 'file' | 'stream' | 'v4l2'

export function ffmpegInputKind(source: string): FfmpegInputKind {
  if (/^\/dev\/video\d+$/.test(source) || source.startsWith('v4l2:')) return 'v4l2'
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !source.toLowerCase().startsWith('file://')) return 'stream'
  return 'file'
}

/** JPEG quality 1–100 as ffmpeg's MJPEG `-q:v` (2 best … 31 worst). An approximation: the scales differ. */
export function mjpegQscale(quality: number): number {
  const q = Math.min(100, Math.max(1, quality))
  return Math.round(2 + ((100 - q) * 29) / 99)
}

export function ffmpegArgs(o: SourceOptions): string[] {
  const kind = ffmpegInputKind(o.source)
  const input = o.source.startsWith('v4l2:') ? o.source.slice('v4l2:'.length) : o.source.replace(/^file:\/\//i, '')
  const before: string[] = []
  if (kind === 'file') before.push('-re', '-stream_loop', '-1')
  if (kind === 'v4l2') before.push('-f', 'v4l2')
  if (kind === 'stream' && /^rtsps?:/i.test(input)) before.push('-rtsp_transport', 'tcp')
  const w = o.width
  const h = o.height
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    ...before,
    '-i', input,
    '-an', '-sn', '-dn',
    '-vf', `fps=${o.fps},scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},format=yuvj420p`,
    '-c:v', 'mjpeg', '-q:v', String(mjpegQscale(o.jpegQuality)),
    '-f', 'image2pipe', 'pipe:1',
  ]
}
