/**
 * The labelled sample frames (modules/camera/scripts/prepare-samples.mjs makes them; idempotent), as the camera sends
 * them: JPEGs at most 640×480. They are scaled to fit inside 640×480 rather than cropped to it, so that no labelled
 * face falls off the frame.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { repoRoot } from '@ledge/testkit'

export const SAMPLES_DIR = join(repoRoot, 'modules', 'camera', 'samples')

export interface Sample {
  name: string
  faces: number
  jpeg: Buffer
}

export function ensureSamples(): { dir: string; labels: Record<string, number> } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'modules', 'camera', 'scripts', 'prepare-samples.mjs')], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`prepare-samples failed: ${r.stderr || r.stdout}`)
  return { dir: SAMPLES_DIR, labels: JSON.parse(readFileSync(join(SAMPLES_DIR, 'labels.json'), 'utf8')) as Record<string, number> }
}

export async function loadSamples(width = 640, height = 480): Promise<Sample[]> {
  const { dir, labels } = ensureSamples()
  return Promise.all(Object.entries(labels).map(async ([name, faces]) => ({
    name,
    faces,
    jpeg: await sharp(join(dir, name)).rotate().resize(width, height, { fit: 'inside' }).jpeg({ quality: 85 }).toBuffer(),
  })))
}
