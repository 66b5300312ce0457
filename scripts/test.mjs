#!/usr/bin/env node
// Runs the whole test suite with node's built-in runner (through tsx for TypeScript).
// Usage: npm test [-- path-or-substring ...]   e.g. npm test -- packages/protocol  or  npm test -- sas
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const roots = ['packages', 'modules', 'bench'].map((d) => join(root, d))

function walk(dir, out) {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (/\.test\.ts$/.test(name)) out.push(p)
  }
  return out
}

const filters = process.argv.slice(2)
let files = roots.flatMap((r) => walk(r, [])).map((f) => relative(root, f)).sort()
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)))
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '(all)'}`)
  process.exit(1)
}

const env = { ...process.env }
const pre = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'packages/testkit/src/prepare.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
if (pre.status !== 0) process.exit(pre.status ?? 1)
// The test CA must be trusted when each test process starts: the azure-iothub service client has no CA option.
Object.assign(env, JSON.parse(pre.stdout.toString()))

const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.LEDGE_TEST_CONCURRENCY ?? 2}`, ...files]
const run = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' })
process.exit(run.status ?? 1)
