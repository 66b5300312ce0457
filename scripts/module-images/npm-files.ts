/**
 * npm packages copied from the workspace's node_modules into an image, at the same place relative to node_modules as
 * on the host (`node_modules/sharp/…` → `/app/node_modules/sharp/…`), so Node resolves them inside the image exactly
 * as it does here and native addons find their libraries through their RPATHs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'

/**
 * The folder of `name` as Node finds it from `fromDir`: the first `node_modules/<name>` up the tree. (Not
 * `require.resolve('<name>/package.json')`: a package whose `exports` leave out package.json refuses that.)
 */
export function packageFolder(name: string, fromDir: string): string {
  for (const modules of createRequire(join(fromDir, 'noop.js')).resolve.paths(name) ?? []) {
    if (existsSync(join(modules, name, 'package.json'))) return join(modules, name)
  }
  throw new Error(`package ${name} is not installed (looked up from ${fromDir}): run npm install`)
}

/** `name` and the packages its `dependencies` name, transitively (folders, resolved as Node would). */
export function dependencyClosure(name: string, fromDir: string, seen = new Set<string>()): Set<string> {
  const dir = packageFolder(name, fromDir)
  if (seen.has(dir)) return seen
  seen.add(dir)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  for (const dep of Object.keys(pkg.dependencies ?? {})) dependencyClosure(dep, dir, seen)
  return seen
}

/** Every file under `dir`, recursively, skipping names `skip` matches. */
export function filesUnder(dir: string, skip: RegExp = /^$/): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip.test(e.name)) continue
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...filesUnder(p, skip))
    else if (e.isFile()) out.push(p)
  }
  return out
}

/** Docs and types a running module never reads (licences stay). */
const NOT_AT_RUN_TIME = /^(README\.md|CHANGELOG\.md|.*\.d\.ts|.*\.map)$/

/**
 * The files of whole packages (host path → path under `/app`), keyed by their place in the workspace's
 * node_modules: a package nested under another stays nested.
 */
export function packageFiles(root: string, folders: Iterable<string>): Map<string, string> {
  const files = new Map<string, string>()
  for (const dir of folders) {
    for (const f of filesUnder(dir, NOT_AT_RUN_TIME)) files.set(f, join('/app', relative(root, f)))
  }
  return files
}

/**
 * Only some files of a package (its package.json always), for packages whose code is bundled but whose data is
 * read from disk by the bundled code (`require.resolve('<pkg>/package.json')` then a folder beside it).
 */
export function packageAssets(root: string, name: string, fromDir: string, relPaths: readonly string[]): Map<string, string> {
  const dir = packageFolder(name, fromDir)
  const files = new Map<string, string>()
  for (const rel of ['package.json', ...relPaths]) files.set(join(dir, rel), join('/app', relative(root, join(dir, rel))))
  return files
}
