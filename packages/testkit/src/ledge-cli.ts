/** The `ledge` command as tests run it: a child process of this Node, its output collected. */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { testCaFiles } from './environment.js'
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

export interface LedgeProcess {
  child: ChildProcess
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>
  /**
   * SIGTERM, and SIGKILL if it has not exited `graceMs` later; resolves once it has exited. SIGTERM first: the daemon
   * stops its modules with it (a SIGKILL would leave them running, containers too).
   */
  stop(graceMs?: number): Promise<void>
}

/**
 * Starts `ledge ARGS…` in the background (`edge start --config …`, a camera): a clean environment (PATH, the test CA
 * trusted through NODE_EXTRA_CA_CERTS, info logs, then `env`), stdout and stderr appended to `log` as they come.
 */
export function spawnLedge(args: string[], log: string[], env: Record<string, string> = {}): LedgeProcess {
  const child = spawn(process.execPath, [LEDGE_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: testCaFiles().certFile, LEDGE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()))
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const stop = async (graceMs = 30_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  return { child, exited, stop }
}
