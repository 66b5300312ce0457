/**
 * Module names (runtime, management API) and module ids (hub identities, workload API): the edge system modules run
 * as `edgeAgent` / `edgeHub` under the identities `$edgeAgent` / `$edgeHub`; other modules use one name for both.
 */

export const AGENT_MODULE_ID = '$edgeAgent'
export const EDGE_HUB_MODULE_ID = '$edgeHub'
export const EDGE_HUB_MODULE_NAME = 'edgeHub'

/** A module name as the runtime and the management API use it. */
export const MODULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

export function moduleIdOf(name: string, agentName: string): string {
  if (name === agentName) return AGENT_MODULE_ID
  if (name === EDGE_HUB_MODULE_NAME) return EDGE_HUB_MODULE_ID
  return name
}

/** The runtime name of an identity (`$edgeAgent` → the configured agent name). */
export function moduleNameOf(moduleId: string, agentName: string): string {
  if (moduleId === AGENT_MODULE_ID) return agentName
  if (moduleId === EDGE_HUB_MODULE_ID) return EDGE_HUB_MODULE_NAME
  return moduleId
}
