#!/usr/bin/env node
// The face-detector module's process entry: runs the TypeScript sources through tsx's ESM loader (no build step), so
// the edge runtime can start it as `node <repo>/modules/face-detector/bin/face-detector.js` from any directory.
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
