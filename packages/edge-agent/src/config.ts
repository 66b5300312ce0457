/**
 * The agent's settings, from the environment the daemon starts it with (reference §1: `IOTEDGE_*`), plus Ledge's
 * own `LEDGE_AGENT_*`. Validated at start: every problem at once.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { errors } from './errors.js'
import { DEFAULT_MODULE_UPDATE_MODE, MODULE_UPDATE_MODES, MODULE_UPDATE_MODE_ENV, parseModuleUpdateMode, type ModuleUpdateMode } from './update-mode.js'

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback)

const schema = z.object({
  IOTEDGE_MANAGEMENTURI: z.string().regex(/^(unix|http):\/\//, 'expected unix:///path/to/mgmt.sock or http://host:port'),
  IOTEDGE_DEVICEID: z.string().min(1).optional(),
  IOTEDGE_MODULEID: z.string().optional(),
  LEDGE_AGENT_STATE_DIR: z.string().default(join(tmpdir(), 'ledge-edge-agent')),
  LEDGE_AGENT_RECONCILE_INTERVAL_MS: ms(5_000),
  /** Azure: 10 minutes. */
  LEDGE_AGENT_RECONCILE_TIMEOUT_MS: ms(600_000),
  /** Azure's ConfigRefreshFrequencySecs: 3600. */
  LEDGE_AGENT_CONFIG_REFRESH_MS: ms(3_600_000),
  LEDGE_LOG_LEVEL: z.string().default('info'),
})

/** What `ModuleClient.fromEnvironment` needs when there is no connection string (azure-sdk-wire.md §6). */
const SDK_ENV = ['IOTEDGE_WORKLOADURI', 'IOTEDGE_DEVICEID', 'IOTEDGE_MODULEID', 'IOTEDGE_IOTHUBHOSTNAME', 'IOTEDGE_AUTHSCHEME', 'IOTEDGE_MODULEGENERATIONID'] as const

export interface AgentConfig {
  managementUri: string
  deviceId: string | undefined
  stateDir: string
  reconcileIntervalMs: number
  reconcileTimeoutMs: number
  configRefreshMs: number
  logLevel: string
  /** Azure's `ModuleUpdateMode` env (a deployment's `systemModules.edgeAgent.env` overrides it); default NonBlocking. */
  moduleUpdateMode?: ModuleUpdateMode
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const problems: string[] = []
  const r = schema.safeParse(env)
  if (!r.success) problems.push(...r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))
  if (!env.EdgeHubConnectionString && !env.IotHubConnectionString) {
    for (const k of SDK_ENV) if (!env[k]) problems.push(`${k}: is required (or EdgeHubConnectionString)`)
    if (env.IOTEDGE_MODULEID && env.IOTEDGE_MODULEID !== '$edgeAgent') problems.push(`IOTEDGE_MODULEID: expected $edgeAgent, got ${env.IOTEDGE_MODULEID}`)
  }
  const updateModeText = env[MODULE_UPDATE_MODE_ENV]
  const moduleUpdateMode = updateModeText === undefined ? DEFAULT_MODULE_UPDATE_MODE : parseModuleUpdateMode(updateModeText)
  if (!moduleUpdateMode) problems.push(`${MODULE_UPDATE_MODE_ENV}: '${updateModeText}' is not one of ${MODULE_UPDATE_MODES.join(', ')}`)
  if (problems.length > 0 || !r.success || !moduleUpdateMode) throw errors.config(problems)
  const c = r.data
  return {
    managementUri: c.IOTEDGE_MANAGEMENTURI,
    deviceId: c.IOTEDGE_DEVICEID,
    stateDir: c.LEDGE_AGENT_STATE_DIR,
    reconcileIntervalMs: c.LEDGE_AGENT_RECONCILE_INTERVAL_MS,
    reconcileTimeoutMs: c.LEDGE_AGENT_RECONCILE_TIMEOUT_MS,
    configRefreshMs: c.LEDGE_AGENT_CONFIG_REFRESH_MS,
    logLevel: c.LEDGE_LOG_LEVEL,
    moduleUpdateMode,
  }
}
