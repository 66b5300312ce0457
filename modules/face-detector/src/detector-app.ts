/**
 * The face detector as an application, whatever the client: frames in (`handleFrame`), analysed on the worker pool,
 * `detections` out for every frame and the frame itself on `frames` when the forward policy says so. Settings come
 * from the twin's desired properties and apply live (a bad document is refused, reported, and the previous settings
 * kept); reported properties carry the settings in force and the counters (see stats.ts):
 *
 * ```
 * { settings: {...}, settingsError: string | null,
 *   stats: {framesReceived, framesAnalysed, framesForwarded, facesFound, framesCorrupt, framesDropped, framesFailed,
 *           bytesIn, bytesOut, bytesSaved, savedPercent, fps, avgInferenceMs, workers, queue, lastCorrupt, at} }
 * ```
 *
 * Order: outputs leave in the order frames arrived, although two workers analyse two frames at once (each frame's
 * outputs wait for the frames before it). A corrupt frame is logged (`frame.corrupt`), counted, answered on
 * `detections` with an `error` body, and skipped.
 */
import type { Logger } from '@ledge/common'
import { blurFaces } from './blur.js'
import { applyDesiredPatch, type JsonObject } from './desired-state.js'
import { DETECTIONS_OUTPUT, FRAMES_OUTPUT, detectionsOf, frameFacts, keepFaces, type DetectionError, type FrameFacts } from './detections.js'
import { FrameDroppedError, WorkerPool, type DetectResult } from './detector/worker-pool.js'
import { ForwardGate } from './forward-gate.js'
import { parseDetectorSettings, resolveDetectorSettings, type DetectorSettings, type DetectorSettingsInput } from './settings.js'
import { IntervalMeter, newCounters, savings, type DetectorCounters } from './stats.js'
import { ReportedWriter, type TwinLike } from './twin-like.js'

export const DEFAULT_REPORT_INTERVAL_MS = 5_000
export const INPUT_FRAMES = 'frames'

export interface InputFrame {
  body: Buffer
  /** The message's application properties (cameraId, frameId, captureTime, width, height, …). */
  properties: Record<string, string>
}

export interface OutMessage {
  body: Buffer
  contentType: string
  contentEncoding?: string
  properties: Record<string, string>
}

export interface DetectorEndpoint {
  getTwin(): Promise<TwinLike>
  send(output: string, message: OutMessage): Promise<void>
}

export interface DetectorAppOptions {
  endpoint: DetectorEndpoint
  log: Logger
  reportIntervalMs?: number
  /** Settings under the twin's (tests, the benchmark). */
  defaults?: Partial<DetectorSettingsInput>
}

export interface CorruptReport extends FrameFacts {
  error: string
  at: string
}

export class FaceDetectorApp {
  readonly counters: DetectorCounters = newCounters()
  private desired: JsonObject = {}
  private chain: Promise<void> = Promise.resolve()
  private readonly gate = new ForwardGate()
  private readonly meter = new IntervalMeter(Date.now())
  private lastCorrupt: CorruptReport | null = null
  private timer: NodeJS.Timeout | undefined

  private constructor(
    private settingsNow: DetectorSettings,
    private readonly pool: WorkerPool,
    private readonly reported: ReportedWriter,
    private readonly o: DetectorAppOptions,
  ) {}

  /** Reads the twin, starts the workers (their models loaded), and begins reporting. */
  static async start(o: DetectorAppOptions): Promise<FaceDetectorApp> {
    const { log } = o
    const twin = await o.endpoint.getTwin()
    const reported = new ReportedWriter(twin, (err) => log.warn({ event: 'twin.report_failed', err: err.message }, 'could not update reported properties'))
    const fallback = parseDetectorSettings({}, o.defaults)
    const desired = applyDesiredPatch({}, twin.properties.desired)
    const first = resolveDetectorSettings({ ...o.defaults, ...desired }, fallback)
    const pool = new WorkerPool({ size: first.settings.workers, maxQueue: first.settings.maxQueue, init: { preload: [first.settings.model] }, log })
    await pool.start()
    const app = new FaceDetectorApp(first.settings, pool, reported, o)
    // The SDK calls the listener at once with the whole desired document, then with each patch.
    app.applyDesired(twin.properties.desired)
    twin.on('properties.desired', (delta) => app.applyDesired(delta))
    app.timer = setInterval(() => void app.reportStats(), o.reportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS)
    log.info({ event: 'detector.started', settings: app.settingsNow }, 'face detector started')
    return app
  }

  get settings(): DetectorSettings {
    return this.settingsNow
  }

  /** Frames analysed by each worker thread (by thread id). */
  get jobsByWorker(): ReadonlyMap<number, number> {
    return this.pool.jobsByWorker
  }

  /** Takes a frame from input `frames`. Returns at once; outputs follow in arrival order. */
  handleFrame(frame: InputFrame): void {
    this.counters.framesReceived++
    this.counters.bytesIn += frame.body.length
    const s = this.settingsNow
    const result = this.pool.detect(frame.body, { model: s.model, scoreThreshold: s.scoreThreshold, inputSize: s.inputSize })
    // Settled now so that a rejection is never unhandled while earlier frames are still being sent.
    const settled = result.then((r) => ({ r }), (err: Error) => ({ err }))
    this.chain = this.chain.then(async () => {
      const outcome = await settled
      try {
        if ('err' in outcome) this.onFailure(frame, outcome.err)
        else await this.onResult(frame, outcome.r, s)
      } catch (err) {
        this.counters.framesFailed++
        this.o.log.warn({ event: 'frame.output_failed', ...frameFacts(frame.properties), err: (err as Error).message }, 'could not send the outputs of a frame')
      }
    })
  }

  /** Resolves when every frame handed in so far has been analysed and its outputs sent. */
  idle(): Promise<void> {
    return this.chain
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.chain
    await this.reportStats()
    await this.pool.close()
  }

  /** The stats document reported under `stats`. */
  statsReport(): Record<string, unknown> {
    const now = Date.now()
    return {
      ...this.counters,
      ...savings(this.counters),
      ...this.meter.take(this.counters, now),
      workers: this.pool.size,
      queue: this.pool.queued,
      lastCorrupt: this.lastCorrupt,
      at: new Date(now).toISOString(),
    }
  }

  reportStats(): Promise<void> {
    return this.reported.write({ stats: this.statsReport() })
  }

  private applyDesired(delta: unknown): void {
    const { log } = this.o
    this.desired = applyDesiredPatch(this.desired, delta)
    const prev = this.settingsNow
    const outcome = resolveDetectorSettings({ ...this.o.defaults, ...this.desired }, prev)
    const next = outcome.settings
    if (outcome.error) log.warn({ event: 'settings.rejected', error: outcome.error }, 'desired settings refused: keeping the previous ones')
    else if (JSON.stringify(next) !== JSON.stringify(prev)) log.info({ event: 'settings.applied', settings: next }, 'settings applied')
    this.settingsNow = next
    if (next.maxQueue !== prev.maxQueue) this.pool.setMaxQueue(next.maxQueue)
    if (next.workers !== prev.workers) {
      this.pool.resize(next.workers).catch((err: Error) => log.error({ event: 'workers.resize_failed', err: err.message }, 'cannot resize the worker pool'))
    }
    void this.reported.write({ settings: next, settingsError: outcome.error ?? null })
  }

  private async onResult(frame: InputFrame, r: DetectResult, s: DetectorSettings): Promise<void> {
    const facts = frameFacts(frame.properties)
    if (!r.ok) {
      if (r.code === 'ERR_FRAME_CORRUPT') return this.onCorrupt(frame, facts, r.message)
      throw new Error(r.message)
    }
    const faces = keepFaces(r.faces, s.minFaceSize)
    this.counters.framesAnalysed++
    this.counters.facesFound += faces.length
    this.meter.addInference(r.inferenceMs)
    const forward = this.gate.decide(facts.cameraId ?? '', faces.length, s.forwardPolicy, s.forwardThreshold)
    const detections = detectionsOf(facts, { ...r, faces }, s.model, forward)
    this.o.log.debug({ event: 'frame.analysed', ...facts, faceCount: faces.length, inferenceMs: detections.inferenceMs, workerId: r.workerId }, 'frame analysed')
    await this.sendJson(DETECTIONS_OUTPUT, detections, { ...facts, faceCount: String(faces.length), model: s.model })
    if (!forward) return
    const body = s.blur && faces.length > 0 ? await blurFaces(frame.body, faces, r.width, r.height) : frame.body
    await this.o.endpoint.send(FRAMES_OUTPUT, {
      body,
      contentType: 'image/jpeg',
      properties: { ...frame.properties, faceCount: String(faces.length), model: s.model, blurred: String(s.blur && faces.length > 0), contentType: 'image/jpeg' },
    })
    this.counters.framesForwarded++
    this.counters.bytesOut += body.length
  }

  private async onCorrupt(frame: InputFrame, facts: FrameFacts, message: string): Promise<void> {
    this.counters.framesCorrupt++
    this.lastCorrupt = { ...facts, error: message, at: new Date().toISOString() }
    this.o.log.warn({ event: 'frame.corrupt', ...facts, bytes: frame.body.length, err: message }, 'corrupt frame skipped')
    const body: DetectionError = { ...facts, error: { code: 'ERR_FRAME_CORRUPT', message } }
    await this.sendJson(DETECTIONS_OUTPUT, body, { ...facts, error: 'ERR_FRAME_CORRUPT' })
  }

  private onFailure(frame: InputFrame, err: Error): void {
    const facts = frameFacts(frame.properties)
    if (err instanceof FrameDroppedError) {
      this.counters.framesDropped++
      this.o.log.debug({ event: 'frame.dropped', ...facts }, 'frame dropped: the detector is behind')
      return
    }
    this.counters.framesFailed++
    this.o.log.warn({ event: 'frame.failed', ...facts, err: err.message }, 'frame analysis failed')
  }

  private async sendJson(output: string, value: unknown, properties: Record<string, string | undefined>): Promise<void> {
    const body = Buffer.from(JSON.stringify(value))
    const props: Record<string, string> = {}
    for (const [k, v] of Object.entries(properties)) if (v !== undefined) props[k] = v
    await this.o.endpoint.send(output, { body, contentType: 'application/json', contentEncoding: 'utf-8', properties: props })
    this.counters.bytesOut += body.length
  }
}
