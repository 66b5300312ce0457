/**
 * What an edge device runs, read from its `$edgeAgent` module twin: the deployment in the desired properties and the
 * agent's report (Azure's reported-properties shape: `lastDesiredStatus`, `systemModules`, `modules.<m>.runtimeStatus`,
 * `restartCount`, `exitCode`, …). Tolerant: missing or odd fields show as unknown, never as an error.
 */

export interface ModuleRow {
  name: string
  /** edgeAgent and edgeHub. */
  system: boolean
  /** The module id to use for methods and twins (`$edgeHub` for the system module edgeHub). */
  moduleId: string
  /** In the deployment (desired), reported by the agent, or both. */
  inDeployment: boolean
  reported: boolean
  desiredStatus: string | undefined
  runtimeStatus: string
  statusDescription: string | undefined
  restartCount: number | undefined
  exitCode: number | undefined
  lastStartTimeUtc: string | undefined
  lastExitTimeUtc: string | undefined
  version: string | undefined
  /** Image or command, from the settings. */
  image: string | undefined
}

export type DeploymentState = 'applied' | 'pending' | 'failed' | 'none' | 'unknown'

export interface DeploymentSummary {
  state: DeploymentState
  /** The desired `$version` of the deployment. */
  desiredVersion: number | undefined
  /** The version the agent last acted on. */
  reportedVersion: number | undefined
  code: number | undefined
  description: string | undefined
  /** When the agent reported last. */
  reportedAt: string | undefined
}

type Json = Record<string, unknown>

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/** Azure writes .NET's DateTime.MinValue for a time that never happened. */
function time(v: unknown): string | undefined {
  const s = str(v)
  return s && !s.startsWith('0001-01-01') ? s : undefined
}

function imageOf(settings: unknown): string | undefined {
  const s = obj(settings)
  if (!s) return undefined
  return str(s.image) ?? str(s.command) ?? (Array.isArray(s.args) ? s.args.join(' ') : undefined) ?? str(s.path)
}

/** The modules of an `$edgeAgent` twin: system modules first, then custom modules by name. */
export function moduleRows(desired: Json | undefined, reported: Json | undefined): ModuleRow[] {
  const d = desired ?? {}
  const r = reported ?? {}
  const rows: ModuleRow[] = []
  const add = (name: string, system: boolean, dm: Json | undefined, rm: Json | undefined): void => {
    rows.push({
      name, system,
      moduleId: system ? `$${name}` : name,
      inDeployment: dm !== undefined,
      reported: rm !== undefined,
      desiredStatus: str(dm?.status) ?? (system && dm ? 'running' : undefined),
      runtimeStatus: str(rm?.runtimeStatus) ?? (rm ? 'unknown' : 'not reported'),
      statusDescription: str(rm?.statusDescription),
      restartCount: num(rm?.restartCount),
      exitCode: num(rm?.exitCode),
      lastStartTimeUtc: time(rm?.lastStartTimeUtc),
      lastExitTimeUtc: time(rm?.lastExitTimeUtc),
      version: str(dm?.version) ?? str(rm?.version),
      image: imageOf(dm?.settings) ?? imageOf(rm?.settings),
    })
  }
  const dSys = obj(d.systemModules) ?? {}
  const rSys = obj(r.systemModules) ?? {}
  for (const name of ['edgeAgent', 'edgeHub']) {
    if (dSys[name] !== undefined || rSys[name] !== undefined) add(name, true, obj(dSys[name]), obj(rSys[name]))
  }
  const dMods = obj(d.modules) ?? {}
  const rMods = obj(r.modules) ?? {}
  for (const name of [...new Set([...Object.keys(dMods), ...Object.keys(rMods)])].sort()) {
    if (dMods[name] === null && rMods[name] === undefined) continue
    add(name, false, obj(dMods[name]), obj(rMods[name]))
  }
  return rows
}

/** Whether the device applied its deployment, from `$version` (desired) and `lastDesiredVersion`/`lastDesiredStatus`. */
export function deploymentSummary(desired: Json | undefined, reported: Json | undefined): DeploymentSummary {
  const desiredVersion = num(desired?.$version)
  const hasDeployment = desired !== undefined && (obj(desired.modules) !== undefined || obj(desired.systemModules) !== undefined)
  const reportedVersion = num(reported?.lastDesiredVersion)
  const status = obj(reported?.lastDesiredStatus)
  const code = num(status?.code)
  const description = str(status?.description)
  const reportedAt = str(obj(reported?.$metadata)?.$lastUpdated)
  let state: DeploymentState
  if (!hasDeployment) state = 'none'
  else if (reportedVersion === undefined || code === undefined) state = 'pending'
  else if (desiredVersion !== undefined && reportedVersion < desiredVersion) state = 'pending'
  else if (code === 200) state = 'applied'
  else if (code === 417 || code >= 400) state = 'failed'
  else state = 'unknown'
  return { state, desiredVersion, reportedVersion, code, description, reportedAt }
}

/** The twin section without IoT Hub's `$metadata`/`$version`, for display. */
export function withoutMetadata(section: Json | undefined): Json {
  if (!section) return {}
  return Object.fromEntries(Object.entries(section).filter(([k]) => k !== '$metadata' && k !== '$version'))
}

/**
 * A deployment manifest (`{modulesContent: {$edgeAgent: {"properties.desired": …}, …}}`) rebuilt from the module twins'
 * desired properties: what the device was told to run, in the form `applyConfigurationContent` takes.
 */
export function manifestFromModuleTwins(twins: readonly { moduleId?: string; properties?: { desired?: Json } }[]): Json {
  const content: Json = {}
  const order = (m: string): number => (m === '$edgeAgent' ? 0 : m === '$edgeHub' ? 1 : 2)
  const sorted = twins.filter((t) => t.moduleId).slice().sort((a, b) => order(a.moduleId!) - order(b.moduleId!) || a.moduleId!.localeCompare(b.moduleId!))
  for (const t of sorted) {
    const desired = withoutMetadata(t.properties?.desired)
    if (Object.keys(desired).length === 0 && !t.moduleId!.startsWith('$')) continue
    content[t.moduleId!] = { 'properties.desired': desired }
  }
  return { modulesContent: content }
}
