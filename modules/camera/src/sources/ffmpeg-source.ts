/**
 * Frames through ffmpeg: any video file, RTSP/HTTP stream or V4L2 device ffmpeg can open (Debian package `ffmpeg`).
 * ffmpeg writes MJPEG to its stdout; {@link JpegSplitter} cuts it into frames. ffmpeg already paces its output at the
 * configured fps (`-re` for files, the `fps` filter), so the source is read continuously and only the newest frames
 * are kept: a slow consumer gets a recent frame, not a growing backlog (what a live camera should do).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Logger } from '@ledge/common'
import { ffmpegArgs } from './ffmpeg-args.js'
import { SourceError, type EncodedFrame, type FrameSource, type SourceOptions } from './frame-source.js'
import { JpegSplitter } from './jpeg-splitter.js'

/** Frames held for a reader that is behind; older ones are dropped. */
const KEEP_FRAMES = 2
const STDERR_TAIL = 2000
const STOP_GRACE_MS = 2000

export class FfmpegSource implements FrameSource {
  readonly kind = 'ffmpeg'
  readonly description: string
  private readonly child: ChildProcess
  private readonly frames: EncodedFrame[] = []
  private waiter: (() => void) | undefined
  private failure: SourceError | undefined
  private stderr = ''
  private closing = false
  private readonly exited: Promise<void>
  /** Frames dropped because the reader was behind. */
  dropped = 0

  constructor(
    private readonly options: SourceOptions,
    log: Logger,
    ffmpegPath = process.env.LEDGE_FFMPEG ?? 'ffmpeg',
  ) {
    this.description = `ffmpeg ${options.source}`
    const args = ffmpegArgs(options)
    log.debug({ event: 'source.ffmpeg_spawn', args }, 'starting ffmpeg')
    this.child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const splitter = new JpegSplitter()
    this.child.stdout!.on('data', (chunk: Buffer) => {
      for (const jpeg of splitter.push(chunk)) this.add(jpeg)
    })
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_TAIL)
    })
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err: NodeJS.ErrnoException) => {
        this.fail(err.code === 'ENOENT' ? `ffmpeg not found (${ffmpegPath}): install the Debian package ffmpeg` : `cannot start ffmpeg: ${err.message}`)
        resolve()
      })
      this.child.once('close', (code, signal) => {
        const tail = this.stderr.trim().split('\n').slice(-3).join(' | ')
        this.fail(`ffmpeg stopped (${signal ?? `exit code ${code}`}) reading ${options.source}${tail ? `: ${tail}` : ''}`)
        resolve()
      })
    })
  }

  async read(signal: AbortSignal): Promise<EncodedFrame> {
    for (;;) {
      signal.throwIfAborted()
      const frame = this.frames.shift()
      if (frame) return frame
      if (this.failure) throw this.failure
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done)
          this.waiter = undefined
          resolve()
        }
        this.waiter = done
        signal.addEventListener('abort', done, { once: true })
      })
    }
  }

  async close(): Promise<void> {
    this.closing = true
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS)
      await this.exited
      clearTimeout(timer)
    }
    this.frames.length = 0
  }

  private add(jpeg: Buffer): void {
    this.frames.push({ jpeg, width: this.options.width, height: this.options.height, capturedAt: new Date() })
    while (this.frames.length > KEEP_FRAMES) {
      this.frames.shift()
      this.dropped++
    }
    this.waiter?.()
  }

  private fail(message: string): void {
    if (this.failure) return
    this.failure = new SourceError(this.closing ? 'the source is closed' : message)
    this.waiter?.()
  }
}
