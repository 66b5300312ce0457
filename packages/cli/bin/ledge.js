#!/usr/bin/env node
// The `ledge` command: runs the TypeScript sources through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
