/**
 * Where a `source` setting points. Relative paths are taken from the camera package's folder, not the working
 * directory: a process module runs in the edge runtime's modules folder, and `samples/mixed` should mean the same
 * thing everywhere. URLs, `/dev/…` devices and absolute paths are left as they are.
 */
import { isAbsolute, resolve } from 'node:path'
import { packageDir } from '@ledge/common'

/** The camera package folder (`modules/camera`). */
export const CAMERA_PACKAGE_DIR = packageDir('@ledge/module-camera')
/** The samples folder made by scripts/prepare-samples.mjs. */
export const SAMPLES_DIR = resolve(CAMERA_PACKAGE_DIR, 'samples')
/** The default source: the samples with and without people, interleaved. */
export const DEFAULT_SOURCE = resolve(SAMPLES_DIR, 'mixed')

export function resolveSourcePath(source: string, base = CAMERA_PACKAGE_DIR): string {
  if (isAbsolute(source) || /^[a-z][a-z0-9+.-]*:/i.test(source)) return source
  return resolve(base, source)
}
