/**
 * Helpers for the CLI's tests: run the program in-process (unit tests) or the real `ledge` binary as a child process
 * (integration tests against a hub from the testkit).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { runCli } from '../src/program.js'

export const LEDGE_BIN = fileURLToPath(new URL('../bin/ledge.js', import.meta.url))

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the program in this process with captured streams. */
export async function runInProcess(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; signal?: AbortSignal } = {}): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    signal: opts.signal ?? new AbortController().signal,
  })
  return { code, stdout, stderr }
}

/**
 * Runs `node bin/ledge.js …` with only the environment given (plus PATH and the test CA), so no login leaks in from
 * the developer's shell.
 */
export function ledge(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' }
  if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS
  Object.assign(env, opts.env)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LEDGE_BIN, ...args], { env, cwd: opts.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })
    })
  })
}
