#!/usr/bin/env node
// Builds the processes Ledge runs on a device into plain JavaScript under dist/: `ledge` (the CLI, which is also the
// daemon and the hub), the edge agent and the edge hub. Only Ledge's own workspace packages are bundled; every npm
// package stays an import that Node resolves from node_modules, as from source.
//
// Why: from source each process loads tsx, which compiles TypeScript at start and keeps its compiler and caches in
// memory (about 33 MB of RSS per process on Node 20). The edge runtime's footprint is a product goal.
//
// dist/build-info.json lists the source files that went in and the build time: `packages/cli/bin/ledge.js` runs
// dist/ledge.js only while no such file is newer than the build, so an edited checkout never runs stale code.
//
// Usage: node scripts/build.mjs [--if-stale]
import { build } from 'esbuild'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleOptions } from './bundle-options.mjs'
import { BUILD_INFO, distDir, freshBuild } from './fresh-build.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = distDir(root)

const ENTRIES = {
  ledge: 'packages/cli/src/main.ts',
  'edge-agent': 'packages/edge-agent/src/main.ts',
  'edge-hub': 'packages/edge-hub/src/main.ts',
}

async function main() {
  if (process.argv.includes('--if-stale') && freshBuild(root)) return
  const started = Date.now()
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const result = await build(bundleOptions({ root, entryPoints: ENTRIES, outdir: out }))
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, join(root, p)))
  writeFileSync(join(out, BUILD_INFO), `${JSON.stringify({ builtAt: started, entries: Object.keys(ENTRIES), inputs }, null, 1)}\n`)
  console.error(`ledge: built ${Object.keys(ENTRIES).join(', ')} into dist/ (${inputs.length} source files, ${Date.now() - started} ms)`)
}

await main()
