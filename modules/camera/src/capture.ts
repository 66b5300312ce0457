/**
 * The capture loop: reads a frame source at the pace of `fps` and hands each frame to a sink (the module's output,
 * or a leaf device's telemetry). Settings change live: the pace at once, the source (reopened) when its settings
 * change. A failing source is closed and reopened after a capped back-off; its error is kept for reporting.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '@ledge/common'
import type { CapturedFrame } from './frame-message.js'
import { Pacer, type PacerClock, systemClock } from './pacer.js'
import { sourceChanged, type CameraSettings } from './settings.js'
import type { FrameSource } from './sources/frame-source.js'

export const RETRY_BASE_MS = 500
export const RETRY_MAX_MS = 30_000

export interface CaptureDeps {
  openSource(settings: CameraSettings, log: Logger): Promise<FrameSource>
  /** Sends a frame; capture waits for it, so a slow link slows the capture instead of queueing frames. */
  sink(frame: CapturedFrame): Promise<void>
  log: Logger
  clock?: PacerClock
}

export interface CaptureStats {
  framesSent: number
  bytesSent: number
  framesFailed: number
  lastFrameId?: number
  lastCaptureTime?: string
  source?: string
  sourceError?: string
}

export class Capture {
  private settings: CameraSettings
  private reopen = false
  private readonly pacer: Pacer
  private frameId = 0
  private sourceKind: FrameSource['kind'] | undefined
  readonly stats: CaptureStats = { framesSent: 0, bytesSent: 0, framesFailed: 0 }

  constructor(settings: CameraSettings, private readonly cameraId: () => string, private readonly deps: CaptureDeps) {
    this.settings = settings
    this.pacer = new Pacer(settings.fps, deps.clock ?? systemClock)
  }

  /** Applies new settings from the next frame on. */
  update(next: CameraSettings): void {
    const prev = this.settings
    this.settings = next
    this.pacer.setFps(next.fps)
    // fps matters to ffmpeg (its fps filter), not to a folder.
    if (sourceChanged(prev, next) || (prev.fps !== next.fps && this.sourceKind === 'ffmpeg')) this.reopen = true
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { log } = this.deps
    let source: FrameSource | undefined
    let failures = 0
    try {
      while (!signal.aborted) {
        if (this.reopen && source) {
          await source.close()
          source = undefined
        }
        try {
          if (!source) {
            this.reopen = false
            source = await this.deps.openSource(this.settings, log)
            this.sourceKind = source.kind
            this.stats.source = source.description
            log.info({ event: 'source.opened', source: source.description }, 'frame source opened')
          }
          await this.pacer.wait(signal)
          const frame = await source.read(signal)
          // Settings that need a new source arrived while reading: this frame has the old size or source.
          if (this.reopen) continue
          failures = 0
          delete this.stats.sourceError
          const captured: CapturedFrame = { ...frame, cameraId: this.cameraId(), frameId: ++this.frameId, captureTime: frame.capturedAt ?? new Date() }
          await this.send(captured)
        } catch (err) {
          if (signal.aborted) break
          failures++
          this.stats.sourceError = (err as Error).message
          log.warn({ event: 'source.failed', source: source?.description ?? this.settings.source, err: (err as Error).message, failures }, 'frame source failed: reopening')
          await source?.close()
          source = undefined
          await sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1)), undefined, { signal }).catch(() => undefined)
        }
      }
    } finally {
      await source?.close()
    }
  }

  private async send(frame: CapturedFrame): Promise<void> {
    try {
      await this.deps.sink(frame)
      this.stats.framesSent++
      this.stats.bytesSent += frame.jpeg.length
      this.stats.lastFrameId = frame.frameId
      this.stats.lastCaptureTime = frame.captureTime.toISOString()
    } catch (err) {
      this.stats.framesFailed++
      this.deps.log.warn({ event: 'frame.send_failed', frameId: frame.frameId, err: (err as Error).message }, 'could not send a frame')
    }
  }
}
