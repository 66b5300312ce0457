/**
 * The management API on two Unix sockets (see README "Authorization"):
 * - `mgmt.sock` (mode 0660): list, get, start/stop/restart, logs, systeminfo; for the CLI and any local user.
 * - `mgmt-agent.sock` (mode 0600, in a 0700 folder): everything, including create/update/delete and identities. Its
 *   path is given only to the edge agent, in IOTEDGE_MANAGEMENTURI.
 * Node cannot read SO_PEERCRED, so the daemon cannot check the caller's PID as aziot-edged does: the socket the
 * request came in on stands for "the caller is the agent".
 */
import { createServer, type Server } from 'node:http'
import type { Logger } from '@ledge/common'
import { closeServer, dispatcher, listenUnix } from '../http/server-kit.js'
import { managementRouter, type ManagementDeps } from './routes.js'

/** managementVersion_2022_08_03 and the versions before it that aziot-edged still accepts. */
export const MANAGEMENT_API_VERSIONS = ['2018-06-28', '2019-01-30', '2019-10-22', '2019-11-05', '2020-07-07', '2021-12-07', '2022-08-03'] as const

export const PUBLIC_SOCKET_MODE = 0o660
export const AGENT_SOCKET_MODE = 0o600
export const AGENT_SOCKET_DIR_MODE = 0o700

export class ManagementServer {
  private servers: Server[] = []

  constructor(private readonly o: { deps: ManagementDeps; publicSocket: string; agentSocket: string; log: Logger }) {}

  async start(): Promise<void> {
    const make = (privileged: boolean): Server =>
      createServer(dispatcher({ router: managementRouter(this.o.deps, privileged), log: this.o.log.child({ socket: privileged ? 'agent' : 'public' }), apiVersions: MANAGEMENT_API_VERSIONS }))
    const pub = make(false)
    const agent = make(true)
    this.servers = [pub, agent]
    await listenUnix(pub, this.o.publicSocket, PUBLIC_SOCKET_MODE)
    await listenUnix(agent, this.o.agentSocket, AGENT_SOCKET_MODE, AGENT_SOCKET_DIR_MODE)
    this.o.log.info({ event: 'management.listening', public: this.o.publicSocket, agent: this.o.agentSocket }, 'management API listening')
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => closeServer(s)))
  }
}
