/**
 * Where a Ledge workspace package lives on disk, found through Node's resolver rather than relative to the calling
 * file: code runs both from its TypeScript sources and bundled into dist/ (scripts/build.mjs), where
 * `new URL('..', import.meta.url)` would point somewhere else.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The folder holding `name`'s package.json (for example `@ledge/edge-daemon` → `<root>/packages/edge-daemon`). */
export function packageDir(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === name) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error(`package ${name} has no package.json above ${fileURLToPath(import.meta.resolve(name))}`)
    dir = up
  }
}

/** The `version` field of a workspace package's package.json. */
export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version
}
