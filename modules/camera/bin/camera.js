#!/usr/bin/env node
// The camera module's process entry: runs the TypeScript sources through tsx's ESM loader (no build step), so the edge
// runtime can start it as `node <repo>/modules/camera/bin/camera.js` from any working directory.
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
