/**
 * The agent's view of modules: what the deployment asks for ({@link DesiredModule}) and what the daemon runs
 * ({@link CurrentModule}), keyed by the module's name in the management API (`edgeHub`, `camera`).
 */
import type { ImagePullPolicy, ModuleDesiredStatus, ModuleDetails, ModuleEnv, ModuleType, RestartPolicy } from '@ledge/protocol'

/** Azure's edgeAgent runtime statuses, as reported in `modules.<m>.runtimeStatus`. */
export type RuntimeStatus = 'unknown' | 'backoff' | 'running' | 'unhealthy' | 'stopped' | 'failed' | 'dead'

export const EDGE_AGENT = 'edgeAgent'
export const EDGE_HUB = 'edgeHub'

/** The module identity for a module name: the system modules' identities carry a `$`. */
export function identityName(moduleName: string): string {
  return moduleName === EDGE_AGENT || moduleName === EDGE_HUB ? `$${moduleName}` : moduleName
}

/** The module name for an identity (`$edgeHub` → `edgeHub`). */
export function moduleNameOf(identity: string): string {
  return identity === '$edgeAgent' || identity === '$edgeHub' ? identity.slice(1) : identity
}

export interface DesiredModule {
  name: string
  version?: string
  type: ModuleType
  status: ModuleDesiredStatus
  restartPolicy: RestartPolicy
  imagePullPolicy?: ImagePullPolicy
  /** Whether the manifest set it (reported back only then). */
  startupOrderSet: boolean
  /** {@link DEFAULT_STARTUP_ORDER} when the manifest has none. */
  startupOrder: number
  settings: Record<string, unknown>
  env: ModuleEnv
  /** sha256 of what makes the module's process or container (see `module-spec.ts`); a change means recreate. */
  hash: string
  /** The same without `version` and `imagePullPolicy`: compared with a module that has no hash label. */
  configHash: string
}

/** What the agent remembers per module between reconciles (persisted in `<stateDir>/module-state.json`). */
export interface ModuleRecord {
  restartCount: number
  /** ISO 8601. */
  lastRestartTimeUtc?: string
  /** The status the agent last applied by a create, start or stop: tells a deployment's stop from a crash. */
  appliedStatus?: ModuleDesiredStatus
}

export interface CurrentModule {
  name: string
  type: string
  /** The spec hash the module was created with (its label), or one computed from its config when it has none. */
  hash: string
  /** Whether `hash` is the label (else it compares with {@link DesiredModule.configHash}). */
  labelled: boolean
  /** The management API's status, with a non-zero exit folded into `failed` and health into `unhealthy`. */
  status: 'unknown' | 'running' | 'unhealthy' | 'stopped' | 'failed' | 'dead'
  description?: string
  exitCode?: number
  lastStartTimeUtc?: string
  lastExitTimeUtc?: string
  restartCount: number
  lastRestartTimeUtc?: string
  appliedStatus?: ModuleDesiredStatus
  /** What the daemon said, for the report. */
  details: ModuleDetails
}

/** The deployment's `runtime` section, passed to the command factory (registry credentials for docker pulls). */
export interface RuntimeInfo {
  type: string
  settings: Record<string, unknown>
}
