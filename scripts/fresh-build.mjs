// Whether dist/ (scripts/build.mjs) still matches the sources: plain JavaScript, because `ledge`'s launcher asks
// before anything can compile TypeScript.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const BUILD_INFO = 'build-info.json'

export function distDir(root) {
  return join(root, 'dist')
}

/**
 * The dist folder when every source file the build read is older than the build (and still there), else undefined.
 * About 2 ms for the ~300 files of a build.
 */
export function freshBuild(root) {
  const dir = distDir(root)
  let info
  try {
    info = JSON.parse(readFileSync(join(dir, BUILD_INFO), 'utf8'))
  } catch {
    return undefined
  }
  for (const entry of info.entries ?? []) if (!existsSync(join(dir, `${entry}.js`))) return undefined
  for (const input of info.inputs ?? []) {
    let mtime
    try {
      mtime = statSync(join(root, input)).mtimeMs
    } catch {
      return undefined
    }
    if (mtime > info.builtAt) return undefined
  }
  return dir
}
