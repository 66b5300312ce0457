import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProcessModuleRuntime, type ProcessModuleRuntimeOptions } from '../src/index.js'
import { processStartTime } from '../src/proc.js'

/** A runtime on a temp stateDir; disposing it removes its modules, closes it and deletes the directory. */
export async function tempRuntime(options: Partial<ProcessModuleRuntimeOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-rt-process-'))
  const stateDir = join(dir, 'state')
  const modulesDir = join(dir, 'modules-dir')
  await mkdir(modulesDir)
  const runtime = await ProcessModuleRuntime.open({ stateDir, modulesDir, ...options })
  return {
    runtime,
    dir,
    stateDir,
    modulesDir,
    async [Symbol.asyncDispose]() {
      await Promise.allSettled((await runtime.list().catch(() => [])).map((m) => runtime.remove(m.name)))
      await runtime.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Whether `pid` is a live (not zombie) process. */
export function alive(pid: number): boolean {
  return processStartTime(pid) !== undefined
}

export async function waitGone(pid: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (alive(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return true
}
