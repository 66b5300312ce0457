/**
 * One workload server per module on its own Unix socket, `<workload_socket_dir>/<module name>.sock` (mode 0660), as
 * aziot-edged gives each module its own socket; optionally one loopback TCP listener for all modules.
 */
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { WORKLOAD_API_VERSIONS } from '@ledge/protocol'
import type { Logger } from '@ledge/common'
import { closeServer, dispatcher, listenUnix } from '../http/server-kit.js'
import { workloadRouter, type WorkloadDeps } from './routes.js'

export const WORKLOAD_SOCKET_MODE = 0o660
/** Concurrent requests per module socket (edgelet/doc/workloadsockets.md). */
export const WORKLOAD_MAX_CONCURRENT = 10

/** Starts one workload server for `moduleId` on `socketPath`. */
export async function startWorkloadServer(deps: WorkloadDeps, moduleId: string | undefined, where: { socketPath: string } | { port: number; host?: string }, log: Logger): Promise<Server> {
  const server = createServer(dispatcher({ router: workloadRouter(deps, moduleId), log, apiVersions: WORKLOAD_API_VERSIONS, maxConcurrent: WORKLOAD_MAX_CONCURRENT }))
  server.keepAliveTimeout = 5_000
  if ('socketPath' in where) {
    await listenUnix(server, where.socketPath, WORKLOAD_SOCKET_MODE)
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(where.port, where.host ?? '127.0.0.1', () => resolve())
    })
  }
  return server
}

export class WorkloadSockets {
  private servers = new Map<string, { moduleId: string; server: Server }>()
  private tcp: Server | undefined

  constructor(private readonly o: { dir: string; deps: WorkloadDeps; log: Logger; tcpPort?: number }) {}

  socketPath(moduleName: string): string {
    return join(this.o.dir, `${moduleName}.sock`)
  }

  /** The loopback TCP listener for every module, when `[ledge] workload_tcp_port` is set. */
  async startTcp(): Promise<void> {
    if (this.o.tcpPort === undefined) return
    this.tcp = await startWorkloadServer(this.o.deps, undefined, { port: this.o.tcpPort }, this.o.log)
    this.o.log.warn({ event: 'workload.tcp', port: this.o.tcpPort }, 'workload API on loopback TCP: any local process may act as any module')
  }

  /** Makes sure `moduleName` has its socket, serving `moduleId`; returns the socket path. */
  async ensure(moduleName: string, moduleId: string): Promise<string> {
    const path = this.socketPath(moduleName)
    const current = this.servers.get(moduleName)
    if (current?.moduleId === moduleId) return path
    if (current) await this.remove(moduleName)
    const server = await startWorkloadServer(this.o.deps, moduleId, { socketPath: path }, this.o.log.child({ moduleId }))
    this.servers.set(moduleName, { moduleId, server })
    this.o.log.debug({ event: 'workload.socket', moduleId, path }, 'workload socket ready')
    return path
  }

  async remove(moduleName: string): Promise<void> {
    const s = this.servers.get(moduleName)
    if (!s) return
    this.servers.delete(moduleName)
    await closeServer(s.server)
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((n) => this.remove(n)))
    if (this.tcp) await closeServer(this.tcp)
  }
}
