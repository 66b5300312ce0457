/**
 * A real browser for the dashboard's end-to-end tests: Debian's chromium driven by playwright-core (which downloads
 * no browser of its own), and the built dashboard (built here when missing or older than its sources).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { testArtifactsDir } from '@ledge/testkit'

export const CHROMIUM = process.env.LEDGE_CHROMIUM ?? '/usr/bin/chromium'
const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** Why the browser tests cannot run here, or undefined. */
export function browserProblem(): string | undefined {
  if (!existsSync(CHROMIUM)) return `no browser at ${CHROMIUM}: install Debian's with \`apt-get install -y chromium\``
  return undefined
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const s = statSync(p)
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs)
  }
  return newest
}

/** Builds the dashboard into dist/ (where the hub serves it from) unless the build is newer than every source. */
export function ensureDashboardBuilt(): void {
  const index = join(packageDir, 'dist', 'index.html')
  const sources = Math.max(newestMtime(join(packageDir, 'src')), statSync(join(packageDir, 'vite.config.ts')).mtimeMs)
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return
  // vite exports no bin path: its entry is <vite>/dist/node/index.js, its command line <vite>/bin/vite.js.
  const vite = join(dirname(fileURLToPath(import.meta.resolve('vite'))), '..', '..', 'bin', 'vite.js')
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: packageDir, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`building the dashboard failed:\n${r.stdout}\n${r.stderr}`)
}

/** Where the screenshots go: `<test artifacts>/dashboard/<name>.png`. */
export function screenshotPath(name: string): string {
  const dir = join(testArtifactsDir(), 'dashboard')
  mkdirSync(dir, { recursive: true })
  return join(dir, `${name}.png`)
}
