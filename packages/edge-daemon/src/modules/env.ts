/**
 * The environment every module starts with (reference: azure-iotedge.md §1 item 5 and §2): the deployment's `env`
 * (or `[agent.env]`), then the `IOTEDGE_*` variables the daemon owns, which win, except `IOTEDGE_GATEWAYHOSTNAME`:
 * a deployment may set it for a module (see README "Gateway").
 */
import { IOTEDGE_ENV, MANAGEMENT_API_VERSION } from '@ledge/protocol'

export type ModuleRole = 'agent' | 'edgeHub' | 'module'

export interface EnvContext {
  iothubHostname: string
  deviceId: string
  /** The edge device's host name. */
  edgeHostname: string
  parentHostname?: string
  /** `host[:port]` of the upstream MQTT endpoint (parent, or the hub on a non-standard port); undefined = the hub on 8883. */
  upstreamGateway?: string
  /** Where custom modules send MQTT: the upstream hub (while no edge hub runs) or the edge hub. */
  moduleGateway: 'upstream' | 'edge_hub'
  /** `unix://…` of the agent's management socket. */
  agentManagementUri: string
  agentStateDir: string
  /** The edge hub's folder (its store, twins, scope): Azure's `storageFolder`, under the daemon's home by default. */
  edgeHubStorageDir?: string
  /** `host:port` of the hub's REST API when it is not on 443 (the edge hub reads its device scope there). */
  hubApiHost?: string
}

export interface ModuleEnvInput {
  moduleId: string
  generationId: string
  workloadSocket: string
  role: ModuleRole
}

export const LEDGE_AGENT_STATE_DIR = 'LEDGE_AGENT_STATE_DIR'

export function moduleEnv(ctx: EnvContext, m: ModuleEnvInput, given: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { ...given }
  Object.assign(env, {
    [IOTEDGE_ENV.workloadUri]: `unix://${m.workloadSocket}`,
    [IOTEDGE_ENV.authScheme]: 'sasToken',
    [IOTEDGE_ENV.generationId]: m.generationId,
    [IOTEDGE_ENV.iothubHostName]: ctx.iothubHostname,
    [IOTEDGE_ENV.deviceId]: ctx.deviceId,
    [IOTEDGE_ENV.moduleId]: m.moduleId,
    [IOTEDGE_ENV.apiVersion]: MANAGEMENT_API_VERSION,
  })
  if (given[IOTEDGE_ENV.gatewayHostName] === undefined) {
    // The agent and the edge hub talk upstream: Azure sets their gateway only when nested; Ledge also when the hub
    // listens on another MQTT port. Custom modules go through the edge hub, or upstream while there is none.
    const gateway = m.role !== 'module' ? ctx.upstreamGateway
      : ctx.moduleGateway === 'edge_hub' ? ctx.edgeHostname : (ctx.upstreamGateway ?? ctx.iothubHostname)
    if (gateway !== undefined) env[IOTEDGE_ENV.gatewayHostName] = gateway
    else delete env[IOTEDGE_ENV.gatewayHostName]
  }
  if (ctx.parentHostname !== undefined) env.IOTEDGE_PARENTHOSTNAME = ctx.parentHostname
  if (m.role !== 'module') env[IOTEDGE_ENV.edgeDeviceHostName] = ctx.edgeHostname
  if (m.role === 'edgeHub' && given.storageFolder === undefined && ctx.edgeHubStorageDir !== undefined) env.storageFolder = ctx.edgeHubStorageDir
  if (m.role === 'edgeHub' && given.LEDGE_EDGEHUB_HUB_API_HOST === undefined && ctx.hubApiHost !== undefined) env.LEDGE_EDGEHUB_HUB_API_HOST = ctx.hubApiHost
  if (m.role === 'agent') {
    env[IOTEDGE_ENV.managementUri] = ctx.agentManagementUri
    env.Mode = 'iotedged'
    env[LEDGE_AGENT_STATE_DIR] = ctx.agentStateDir
  }
  return env
}
