/**
 * The camera as an application, whatever the client: settings from the twin's desired properties (applied live;
 * a bad document is refused, reported and the previous settings kept), the capture loop, and reported properties:
 *
 * ```
 * { settings: {source, sourceType, fps, width, height, jpegQuality, cameraId},
 *   settingsError: string | null,
 *   stats: {framesSent, bytesSent, framesFailed, lastFrameId, lastCaptureTime, source, sourceError, fps, at} }
 * ```
 * `stats.fps` is the rate measured over the last report interval. Stats are reported every `reportIntervalMs`.
 */
import type { Logger } from '@ledge/common'
import { Capture, type CaptureDeps } from './capture.js'
import { applyDesiredPatch, type JsonObject } from './desired-state.js'
import type { CapturedFrame } from './frame-message.js'
import { parseCameraSettings, resolveSettings, type CameraSettings, type CameraSettingsInput } from './settings.js'
import { DEFAULT_SOURCE, resolveSourcePath } from './source-path.js'
import { openSource } from './sources/open-source.js'
import { ReportedWriter, type TwinLike } from './twin-like.js'

export const DEFAULT_REPORT_INTERVAL_MS = 10_000

export interface CameraEndpoint {
  /** The module id (or device id): the default `cameraId`. */
  identity: string
  getTwin(): Promise<TwinLike>
  sendFrame(frame: CapturedFrame): Promise<void>
}

export interface CameraAppOptions {
  endpoint: CameraEndpoint
  /** Settings under the twin's (a leaf camera's command-line flags); the source defaults to the samples folder. */
  defaults?: Partial<CameraSettingsInput>
  log: Logger
  reportIntervalMs?: number
  openSource?: CaptureDeps['openSource']
}

function parse(desired: JsonObject, defaults: Partial<CameraSettingsInput>): CameraSettings {
  const s = parseCameraSettings(desired, { source: DEFAULT_SOURCE, ...defaults })
  return { ...s, source: resolveSourcePath(s.source) }
}

/** Runs the camera until `signal` aborts. */
export async function runCamera(o: CameraAppOptions, signal: AbortSignal): Promise<void> {
  const { endpoint, log } = o
  const defaults = o.defaults ?? {}
  const twin = await endpoint.getTwin()
  const reported = new ReportedWriter(twin, (err) => log.warn({ event: 'twin.report_failed', err: err.message }, 'could not update reported properties'))

  let desired: JsonObject = {}
  // The defaults must be valid (a leaf camera's flags are checked here): a bad twin document falls back to them.
  let settings = parse({}, defaults)
  const capture = new Capture(settings, () => settings.cameraId ?? endpoint.identity, {
    openSource: o.openSource ?? openSource,
    sink: (frame) => endpoint.sendFrame(frame),
    log,
  })

  const applyDesired = (delta: unknown): void => {
    desired = applyDesiredPatch(desired, delta)
    const outcome = resolveSettings(() => parse(desired, defaults), settings)
    if (outcome.error) log.warn({ event: 'settings.rejected', error: outcome.error }, 'desired settings refused: keeping the previous ones')
    else if (JSON.stringify(outcome.settings) !== JSON.stringify(settings)) log.info({ event: 'settings.applied', settings: outcome.settings }, 'settings applied')
    settings = outcome.settings
    capture.update(settings)
    void reported.write({ settings: { ...settings, cameraId: settings.cameraId ?? endpoint.identity }, settingsError: outcome.error ?? null })
  }
  // The document the twin holds now, before the first frame; the SDK then calls the listener once more with the
  // whole document (idempotent here) and afterwards with each patch.
  applyDesired(twin.properties.desired)
  twin.on('properties.desired', applyDesired)

  let last = { at: Date.now(), frames: 0 }
  const reportStats = (): Promise<void> => {
    const now = Date.now()
    const s = capture.stats
    const fps = ((s.framesSent - last.frames) * 1000) / Math.max(1, now - last.at)
    last = { at: now, frames: s.framesSent }
    return reported.write({ stats: { ...s, sourceError: s.sourceError ?? null, fps: Math.round(fps * 100) / 100, at: new Date(now).toISOString() } })
  }
  const timer = setInterval(() => void reportStats(), o.reportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS)
  try {
    await capture.run(signal)
  } finally {
    clearInterval(timer)
    await reportStats()
  }
}
