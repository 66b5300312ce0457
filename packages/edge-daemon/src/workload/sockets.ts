/**
 * One workload server per module on its own Unix socket, `<workload_socket_dir>/<module name>/workload.sock` (mode
 * 0660), as aziot-edged gives each module its own socket; optionally one loopback TCP listener for all modules.
 *
 * Why a folder per module: a container runtime mounts the socket's folder, not the socket file (runtime-docker). A
 * file bind mount pins the inode the container was started with, and every daemon start binds a new socket (a new
 * inode) at the same path: a container that kept running would keep dialling the dead one. A mounted folder shows
 * whatever socket is in it now, and holds only its own module's socket, so no module can reach another's.
 */
import { rmdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { dirname, join } from 'node:path'
import { WORKLOAD_API_VERSIONS } from '@ledge/protocol'
import type { Logger } from '@ledge/common'
import { closeServer, dispatcher, listenUnix } from '../http/server-kit.js'
import { workloadRouter, type WorkloadDeps } from './routes.js'

export const WORKLOAD_SOCKET_MODE = 0o660
/** The socket's name inside the module's folder (Azure's in-container name). */
export const WORKLOAD_SOCKET_NAME = 'workload.sock'
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
  private servers = new Map<string, { moduleId: string; path: string; server: Server }>()
  private tcp: Server | undefined

  constructor(private readonly o: { dir: string; deps: WorkloadDeps; log: Logger; tcpPort?: number }) {}

  socketPath(moduleName: string): string {
    return join(this.o.dir, moduleName, WORKLOAD_SOCKET_NAME)
  }

  /** The loopback TCP listener for every module, when `[ledge] workload_tcp_port` is set. */
  async startTcp(): Promise<void> {
    if (this.o.tcpPort === undefined) return
    this.tcp = await startWorkloadServer(this.o.deps, undefined, { port: this.o.tcpPort }, this.o.log)
    this.o.log.warn({ event: 'workload.tcp', port: this.o.tcpPort }, 'workload API on loopback TCP: any local process may act as any module')
  }

  /**
   * Makes sure `moduleName` has its socket, serving `moduleId`; returns the socket path. `path` (default
   * {@link socketPath}) is for a module that already runs with another one (created by an older daemon).
   */
  async ensure(moduleName: string, moduleId: string, path = this.socketPath(moduleName)): Promise<string> {
    const current = this.servers.get(moduleName)
    if (current?.moduleId === moduleId && current.path === path) return path
    // Not remove(): the folder stays, a running container may have it mounted.
    if (current) await closeServer(this.stop(moduleName)!.server)
    const server = await startWorkloadServer(this.o.deps, moduleId, { socketPath: path }, this.o.log.child({ moduleId }))
    this.servers.set(moduleName, { moduleId, path, server })
    this.o.log.debug({ event: 'workload.socket', moduleId, path }, 'workload socket ready')
    return path
  }

  /** The module is gone: its socket and its (then empty) folder go. */
  async remove(moduleName: string): Promise<void> {
    const s = this.stop(moduleName)
    if (!s) return
    await closeServer(s.server)
    if (s.path === this.socketPath(moduleName)) await rmdir(dirname(s.path)).catch(() => undefined)
  }

  private stop(moduleName: string): { path: string; server: Server } | undefined {
    const s = this.servers.get(moduleName)
    if (s) this.servers.delete(moduleName)
    return s
  }

  /** The daemon stops: sockets close, folders stay (running containers keep them mounted). */
  async close(): Promise<void> {
    await Promise.all([...this.servers.keys()].map(async (n) => {
      const s = this.stop(n)
      if (s) await closeServer(s.server)
    }))
    if (this.tcp) await closeServer(this.tcp)
  }
}
