/**
 * The port to the edge daemon's management API (reference §3): what the agent needs, and nothing else. The HTTP
 * adapter is `management-client.ts`; tests use an in-memory fake standing for the daemon.
 */
import type { Identity, ModuleDetails, ModuleSpec, SystemInfo } from '@ledge/protocol'

/** The label keys the agent puts on the modules it creates (see README, "What the daemon must match"). */
export const LABELS = {
  owner: 'net.ledge.edge.owner',
  version: 'net.ledge.edge.version',
  specHash: 'net.ledge.edge.spec-hash',
} as const
export const OWNER = 'ledge-edge-agent'

/** A ModuleSpec with the agent's labels, which the daemon keeps with the module and returns in ModuleDetails. */
export interface AgentModuleSpec extends ModuleSpec {
  labels: Record<string, string>
}

/** ModuleDetails as Ledge's daemon returns them: with the labels it was created with, and health where known. */
export interface AgentModuleDetails extends ModuleDetails {
  labels?: Record<string, string>
  status: ModuleDetails['status'] & { health?: 'none' | 'starting' | 'healthy' | 'unhealthy' }
}

/**
 * Errors: an AppError (`@ledge/common`) with code `ERR_MANAGEMENT_API` and the kind of the HTTP status (404 →
 * not_found, …), or `ERR_DAEMON_UNREACHABLE` (unavailable) when the socket cannot be reached.
 */
export interface ModuleManagement {
  list(signal?: AbortSignal): Promise<AgentModuleDetails[]>
  get(name: string, signal?: AbortSignal): Promise<AgentModuleDetails | undefined>
  create(spec: AgentModuleSpec, signal?: AbortSignal): Promise<void>
  update(spec: AgentModuleSpec, signal?: AbortSignal): Promise<void>
  /** Readies `spec` without touching any module: the daemon pulls its image (`prepareupdate`). */
  prepareUpdate(spec: AgentModuleSpec, signal?: AbortSignal): Promise<void>
  start(name: string, signal?: AbortSignal): Promise<void>
  stop(name: string, signal?: AbortSignal): Promise<void>
  restart(name: string, signal?: AbortSignal): Promise<void>
  remove(name: string, signal?: AbortSignal): Promise<void>
  listIdentities(signal?: AbortSignal): Promise<Identity[]>
  createIdentity(moduleId: string, signal?: AbortSignal): Promise<Identity>
  updateIdentity(moduleId: string, signal?: AbortSignal): Promise<Identity>
  deleteIdentity(moduleId: string, signal?: AbortSignal): Promise<void>
  systemInfo(signal?: AbortSignal): Promise<SystemInfo>
}
