/**
 * The camera's settings, read from its twin's desired properties (top-level keys, as Azure IoT Edge samples do) and
 * validated with zod. A bad document is refused whole: the previous settings stay in force and the problem is
 * reported (see {@link resolveSettings}).
 */
import { z } from 'zod'

export const SOURCE_TYPES = ['auto', 'folder', 'ffmpeg'] as const
export const MAX_FPS = 60
export const MAX_DIMENSION = 3840

export const cameraSettingsSchema = z.strictObject({
  /** A folder of images, a video file, an rtsp://, http(s):// or other ffmpeg URL, or a V4L2 device (/dev/video0). */
  source: z.string().min(1, 'must not be empty'),
  /** `auto`: a directory is a folder source, anything else goes through ffmpeg. */
  sourceType: z.enum(SOURCE_TYPES).default('auto'),
  fps: z.number().positive('must be more than 0').max(MAX_FPS, `must be at most ${MAX_FPS}`).default(5),
  width: z.int('must be an integer').min(16).max(MAX_DIMENSION).default(640),
  height: z.int('must be an integer').min(16).max(MAX_DIMENSION).default(480),
  jpegQuality: z.int('must be an integer').min(1).max(100).default(80),
  /** The `cameraId` property of each frame; the module id (or device id for a leaf camera) when absent. */
  cameraId: z.string().min(1).max(128).optional(),
})

export type CameraSettings = z.output<typeof cameraSettingsSchema>
export type CameraSettingsInput = z.input<typeof cameraSettingsSchema>

/** Settings from `desired` with `defaults` under them; throws a readable message naming every bad key. */
export function parseCameraSettings(desired: Record<string, unknown>, defaults: Partial<CameraSettingsInput>): CameraSettings {
  const r = cameraSettingsSchema.safeParse({ ...defaults, ...desired })
  if (r.success) return r.data
  throw new SettingsError(formatIssues(r.error.issues))
}

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

/** The outcome of a desired-properties update: the settings in force, and the problem when the update was refused. */
export interface SettingsOutcome<S> {
  settings: S
  error?: string
}

/** Parses with `parse`; when it throws a {@link SettingsError}, keeps `previous` and returns the error. */
export function resolveSettings<S>(parse: () => S, previous: S): SettingsOutcome<S> {
  try {
    return { settings: parse() }
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err
    return { settings: previous, error: err.message }
  }
}

/** Whether a change needs the frame source reopened (the pace alone does not, except for ffmpeg's fps filter). */
export function sourceChanged(a: CameraSettings, b: CameraSettings): boolean {
  return a.source !== b.source || a.sourceType !== b.sourceType || a.width !== b.width || a.height !== b.height || a.jpegQuality !== b.jpegQuality
}
