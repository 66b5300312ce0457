#!/usr/bin/env node
// Installs the workspace's npm packages when they are missing or older than package-lock.json, so that
// `npm start` and `npm test` work straight from a fresh clone.
import { execSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

const root = fileURLToPath(new URL('..', import.meta.url))
const marker = join(root, 'node_modules', '.package-lock.json')
const lock = join(root, 'package-lock.json')
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs)
if (stale) {
  console.error('ledge: installing npm packages (first run: better-sqlite3 compiles from source, about 2 minutes)…')
  execSync(existsSync(lock) ? 'npm ci' : 'npm install', { cwd: root, stdio: 'inherit' })
}
