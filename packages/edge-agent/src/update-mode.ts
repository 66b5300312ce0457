/**
 * Azure's edgeAgent `ModuleUpdateMode` (its env; a manifest sets it in `systemModules.edgeAgent.env`):
 * `NonBlocking` (the default) updates module by module, each pulling its image just before it is recreated;
 * `WaitForAllPulls` pulls every new image of the deployment before any command touches a module, and a failed pull
 * leaves every module as it is (Azure #3053: modules went down while new images pulled on slow links).
 */
export const MODULE_UPDATE_MODES = ['NonBlocking', 'WaitForAllPulls'] as const
export type ModuleUpdateMode = (typeof MODULE_UPDATE_MODES)[number]
export const DEFAULT_MODULE_UPDATE_MODE: ModuleUpdateMode = 'NonBlocking'
export const MODULE_UPDATE_MODE_ENV = 'ModuleUpdateMode'

/** The mode a value names (case as Azure's enum parse ignores it), or undefined for anything else. */
export function parseModuleUpdateMode(value: string): ModuleUpdateMode | undefined {
  return MODULE_UPDATE_MODES.find((m) => m.toLowerCase() === value.trim().toLowerCase())
}

/**
 * The mode for a deployment: the manifest's `systemModules.edgeAgent.env.ModuleUpdateMode`, else `fallback` (the
 * agent's own environment). A value that names no mode is a problem for the caller to report, with its path.
 */
export function moduleUpdateModeOf(agentEnv: Record<string, { value: string }> | undefined, fallback: ModuleUpdateMode): { mode: ModuleUpdateMode } | { problem: string } {
  const given = agentEnv?.[MODULE_UPDATE_MODE_ENV]?.value
  if (given === undefined) return { mode: fallback }
  const mode = parseModuleUpdateMode(given)
  return mode ? { mode } : { problem: `systemModules.edgeAgent.env.${MODULE_UPDATE_MODE_ENV}: '${given}' is not one of ${MODULE_UPDATE_MODES.join(', ')}` }
}
