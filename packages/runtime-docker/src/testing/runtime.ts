/** A docker runtime of its own for one test: unique runtime id and container names, host networking, temp state. */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DockerModuleRuntime, type DockerModuleRuntimeOptions } from '../docker-module-runtime.js'
import { TEST_DOCKER_URI } from './engine.js'

export interface TestRuntime {
  runtime: DockerModuleRuntime
  /** Opens another runtime on the same engine, runtime id and state (a daemon restart). */
  reopen(): Promise<DockerModuleRuntime>
  options: DockerModuleRuntimeOptions
  /** Removes every container of this runtime id (whatever runtime instance made it), closes, deletes the state. */
  cleanup(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export async function testRuntime(options: DockerModuleRuntimeOptions = {}): Promise<TestRuntime> {
  const id = `t${randomBytes(4).toString('hex')}`
  const stateDir = await mkdtemp(join(tmpdir(), 'ledge-rt-docker-'))
  const opts: DockerModuleRuntimeOptions = { uri: TEST_DOCKER_URI, runtimeId: id, containerNamePrefix: `ledge-test-${id}-`, network: 'host', stateDir, ...options }
  const opened: DockerModuleRuntime[] = []
  const open = async () => {
    const r = await DockerModuleRuntime.open(opts)
    opened.push(r)
    return r
  }
  const runtime = await open()
  const cleanup = async () => {
    const docker = runtime.docker
    const containers = await docker.listContainers({ all: true, filters: { label: [`ledge.runtime-id=${id}`] } }).catch(() => [])
    await Promise.allSettled(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })))
    await Promise.allSettled(opened.map((r) => r.close()))
    await rm(stateDir, { recursive: true, force: true })
  }
  return { runtime, reopen: open, options: opts, cleanup, [Symbol.asyncDispose]: cleanup }
}
