/**
 * The bench's edge hub process (edge-hub-process.ts) bundled as scripts/build.mjs bundles `dist/edge-hub.js` (same
 * esbuild options: Ledge's packages in the bundle, npm packages left to Node), so the bench measures the edge hub as
 * the daemon runs it from the build: plain JavaScript, no tsx in the process (about 33 MB of RSS on its own).
 *
 * The bundle goes to node_modules/.cache/: inside the checkout, so Node finds the npm packages from it, and ignored by
 * git. Rebuilt on every run (about a second).
 */
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '@ledge/testkit'
import { bundleOptions } from '../../scripts/bundle-options.mjs'

export const BUNDLE_DIR = join(repoRoot, 'node_modules/.cache/ledge-bench-edge-hub')

/** Builds the process script; resolves to the path of its entry. */
export async function bundleEdgeHubProcess(): Promise<string> {
  rmSync(BUNDLE_DIR, { recursive: true, force: true })
  await build(bundleOptions({ root: repoRoot, entryPoints: { 'edge-hub-process': 'bench/edge-hub/edge-hub-process.ts' }, outdir: BUNDLE_DIR }))
  return join(BUNDLE_DIR, 'edge-hub-process.js')
}
