/**
 * The face detector's settings, read from its twin's desired properties (top-level keys) and validated with zod. A
 * bad document is refused whole: the previous settings stay in force and the problem is reported.
 */
import { availableParallelism } from 'node:os'
import { z } from 'zod'

export const MODELS = ['tiny', 'ssd'] as const
export const FORWARD_POLICIES = ['threshold', 'on-change', 'always', 'never'] as const
export const MAX_WORKERS = 16
export type ModelName = (typeof MODELS)[number]
export type ForwardPolicy = (typeof FORWARD_POLICIES)[number]

/** One worker per core (a worker runs the single-threaded wasm backend on one core), at least 1, at most 4. */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(4, cores))
}

export const detectorSettingsSchema = z.strictObject({
  /** `tiny`: TinyFaceDetector (fast, the default); `ssd`: SSD MobileNet v1 (accurate, ~5× slower). */
  model: z.enum(MODELS).default('tiny'),
  /** Detections scoring below this are ignored. */
  scoreThreshold: z.number().min(0).max(1).default(0.6),
  /** The tiny detector's input size: a multiple of 32; larger finds smaller faces, slower. */
  inputSize: z.int().min(128).max(608).refine((n) => n % 32 === 0, 'must be a multiple of 32').default(416),
  /** Faces whose box is smaller than this many pixels (its shorter side) are ignored. */
  minFaceSize: z.int().min(0).max(4096).default(20),
  /** A frame is forwarded when it has at least this many faces (policies `threshold` and `on-change`). */
  forwardThreshold: z.int().min(0).max(1000).default(1),
  /**
   * `threshold`: forward every frame with at least `forwardThreshold` faces; `on-change`: only when the count (at or
   * above the threshold) differs from the camera's previous frame; `always`; `never` (detections only).
   */
  forwardPolicy: z.enum(FORWARD_POLICIES).default('threshold'),
  /** Blur the faces of forwarded frames (privacy). */
  blur: z.boolean().default(false),
  /** Worker threads running the model. */
  workers: z.int().min(1).max(MAX_WORKERS).default(defaultWorkers()),
  /** Frames waiting for a worker; when more arrive the oldest waiting one is dropped (a live feed wants fresh frames). */
  maxQueue: z.int().min(1).max(1000).default(8),
})

export type DetectorSettings = z.output<typeof detectorSettingsSchema>
export type DetectorSettingsInput = z.input<typeof detectorSettingsSchema>

export class SettingsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SettingsError'
  }
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown setting${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`
      return `${i.path.length ? i.path.join('.') : 'settings'}: ${i.message}`
    })
    .join('; ')
}

/** Settings from the desired document; throws {@link SettingsError} naming every bad key. */
export function parseDetectorSettings(desired: Record<string, unknown>, defaults: Partial<DetectorSettingsInput> = {}): DetectorSettings {
  const r = detectorSettingsSchema.safeParse({ ...defaults, ...desired })
  if (r.success) return r.data
  throw new SettingsError(formatIssues(r.error.issues))
}

/** The settings in force after a desired-properties update, and the problem when the update was refused. */
export function resolveDetectorSettings(desired: Record<string, unknown>, previous: DetectorSettings): { settings: DetectorSettings; error?: string } {
  try {
    return { settings: parseDetectorSettings(desired) }
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err
    return { settings: previous, error: err.message }
  }
}
