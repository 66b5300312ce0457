/** The `ledge` command as tests run it: a child process of this Node, its output collected. */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './paths.js'

export const LEDGE_BIN = join(repoRoot, 'packages', 'cli', 'bin', 'ledge.js')

/** Runs `ledge ARGS…` to its end; `out` is stdout and stderr interleaved as they came. */
export function runLedge(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LEDGE_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => resolve({ code, out }))
  })
}
