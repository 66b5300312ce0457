#!/usr/bin/env node
// Installs the workspace's npm packages when they are missing or older than package-lock.json, so that
// `npm start` and `npm test` work straight from a fresh clone.
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { tmpdir } from 'node:os'

const root = fileURLToPath(new URL('..', import.meta.url))
const marker = join(root, 'node_modules', '.package-lock.json')
const lock = join(root, 'package-lock.json')
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs)
if (stale) {
  // A fresh clone gets `npm ci`. A checkout that has node_modules gets `npm install`, which only adds what is missing:
  // `npm ci` would delete node_modules under any test or process running from it. flock(1) serialises concurrent
  // runs (several `npm test` at once), and the check is made again once the lock is held.
  const fresh = !existsSync(join(root, 'node_modules'))
  const command = fresh ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund'
  console.error(`ledge: ${fresh ? 'installing npm packages (first run: better-sqlite3 compiles from source, about 2 minutes)' : 'updating npm packages to package-lock.json'}…`)
  const script = `if [ ! -e ${JSON.stringify(marker)} ] || [ ${JSON.stringify(lock)} -nt ${JSON.stringify(marker)} ]; then ${command} && touch ${JSON.stringify(marker)}; fi`
  execSync(`flock ${JSON.stringify(join(tmpdir(), 'ledge-npm-install.lock'))} sh -c ${JSON.stringify(script)}`, { cwd: root, stdio: 'inherit' })
}

// The web dashboard the hub serves under /dashboard/: built on a fresh machine, and again when its sources change.
const dash = join(root, 'packages', 'dashboard')
const dashIndex = join(dash, 'dist', 'index.html')
const newest = (dir) => readdirSync(dir, { withFileTypes: true })
  .reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0)
if (existsSync(join(dash, 'src')) && (!existsSync(dashIndex) || statSync(dashIndex).mtimeMs < newest(join(dash, 'src')))) {
  console.error('ledge: building the web dashboard (packages/dashboard/dist)…')
  execSync('npm run build -w @ledge/dashboard', { cwd: root, stdio: 'inherit' })
}

// The device-side processes as plain JavaScript (dist/: the CLI, which is also the daemon and the hub, the edge agent,
// the edge hub), rebuilt when a source file is newer than the build: see scripts/build.mjs.
execSync(`node ${JSON.stringify(join(root, 'scripts', 'build.mjs'))} --if-stale`, { cwd: root, stdio: 'inherit' })

// Sample camera frames for the crowd-analytics modules and demo: face-api's demo photos and, for frames without
// people, images from a Debian package (see modules/camera/scripts/prepare-samples.mjs). Idempotent.
execSync(`node ${JSON.stringify(join(root, 'modules', 'camera', 'scripts', 'prepare-samples.mjs'))}`, { cwd: root, stdio: 'inherit' })
