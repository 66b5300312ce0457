#!/usr/bin/env node
// The `ledge` command. It runs the build (dist/ledge.js, from `node scripts/build.mjs`) while that build still
// matches the sources, and otherwise the TypeScript sources through tsx's loader: an edited checkout never runs
// stale code, and a built one spares every Ledge process the TypeScript compiler (~33 MB of memory each).
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { freshBuild } from '../../../scripts/fresh-build.mjs'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const dist = process.env.LEDGE_FROM_SOURCE ? undefined : freshBuild(root)
if (dist) {
  await import(pathToFileURL(join(dist, 'ledge.js')).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/main.ts')
}
