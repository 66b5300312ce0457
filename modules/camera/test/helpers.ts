import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { CAMERA_PACKAGE_DIR, SAMPLES_DIR } from '../src/source-path.js'

/** Makes the sample frames (idempotent) and returns their folder. */
export function ensureSamples(): string {
  const r = spawnSync(process.execPath, [join(CAMERA_PACKAGE_DIR, 'scripts', 'prepare-samples.mjs')], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`prepare-samples failed: ${r.stderr || r.stdout}`)
  return SAMPLES_DIR
}

/** Why ffmpeg cannot run here, or undefined. */
export function ffmpegProblem(): string | undefined {
  const r = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' })
  return r.error ? `ffmpeg is not installed (apt-get install -y ffmpeg): ${r.error.message}` : undefined
}

/** A short video of the sample folder `mixed` (one image per 0.25 s), as a camera recording would be. */
export function makeVideo(file: string, samples: string, seconds = 3): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-framerate', '4', '-pattern_type', 'glob', '-i', join(samples, 'mixed', '*.jpg'),
    '-t', String(seconds), '-vf', 'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p', '-r', '8', '-c:v', 'mpeg4', '-q:v', '5', file], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ffmpeg could not make the test video: ${r.stderr}`)
}
