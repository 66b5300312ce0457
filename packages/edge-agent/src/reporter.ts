/**
 * The `$edgeAgent` reported properties, field for field as Azure's edgeAgent writes them (reference §4,
 * `IoTHubReporter.cs`): the whole state is built, compared with what the twin holds, and only the difference is
 * sent (a merge patch, with `null` for what is gone, such as a removed module).
 */
import type { Logger } from '@ledge/common'
import type { DeploymentStatusCode, SystemInfo } from '@ledge/protocol'
import { stripTwinMetadata } from '@ledge/protocol'
import type { CurrentModule, DesiredModule, RuntimeInfo, RuntimeStatus } from './model.js'
import { EDGE_AGENT, EDGE_HUB } from './model.js'
import type { ModuleSet } from './module-set.js'

export const REPORTED_SCHEMA_VERSION = '1.0'
/** What Azure reports for a time that never happened (.NET DateTime.MinValue). */
export const NO_TIME = '0001-01-01T00:00:00Z'

export interface DeploymentStatus {
  code: DeploymentStatusCode
  description: string
}

export interface VersionInfo {
  version: string
  build: string
  commit: string
}

/** Everything one report is made of. */
export interface AgentReport {
  /** The desired `$version` the status is about. */
  lastDesiredVersion: number | undefined
  status: DeploymentStatus
  /** The deployment's runtime section, when one was parsed. */
  runtime: RuntimeInfo | undefined
  platform: Pick<SystemInfo, 'osType' | 'architecture' | 'version'>
  desired: ModuleSet<DesiredModule> | undefined
  /** Undefined when the daemon could not be asked: the modules' last report stays. */
  current: ModuleSet<CurrentModule> | undefined
  runtimeStatus(current: CurrentModule, desired: DesiredModule | undefined): RuntimeStatus
}

/** Where reported properties go: the `$edgeAgent` twin. */
export interface ReportedPropertiesSink {
  /** The reported properties the twin holds now (twin metadata allowed); undefined when not connected. */
  reported(): Promise<Record<string, unknown> | undefined>
  update(patch: Record<string, unknown>): Promise<void>
}

export interface Reporter {
  report(r: AgentReport): Promise<void>
}

type Json = Record<string, unknown>

function envOf(c: CurrentModule): Record<string, { value: string }> {
  return Object.fromEntries((c.details.config.env ?? []).filter((e) => !e.key.startsWith('IOTEDGE_')).map((e) => [e.key, { value: e.value }]))
}

function settingsOf(c: CurrentModule | undefined, d: DesiredModule | undefined): Json {
  const settings: Json = { ...(d?.settings ?? c?.details.config.settings ?? {}) }
  delete settings.auth
  const imageHash = c?.details.config.settings?.imageHash
  if (typeof imageHash === 'string') settings.imageHash = imageHash
  return settings
}

function runtimeFields(c: CurrentModule | undefined, d: DesiredModule | undefined, r: AgentReport): Json {
  const runtimeStatus = c ? r.runtimeStatus(c, d) : 'unknown'
  return {
    runtimeStatus,
    statusDescription: c?.description ?? runtimeStatus,
    exitCode: c?.exitCode ?? 0,
    lastStartTimeUtc: c?.lastStartTimeUtc ?? NO_TIME,
    lastExitTimeUtc: c?.lastExitTimeUtc ?? NO_TIME,
  }
}

function restartFields(c: CurrentModule | undefined): Json {
  return { restartCount: c?.restartCount ?? 0, lastRestartTimeUtc: c?.lastRestartTimeUtc ?? NO_TIME }
}

/** `modules.<m>` and `systemModules.edgeHub`: the desired fields, then the runtime's. */
export function reportedModule(c: CurrentModule | undefined, d: DesiredModule | undefined, r: AgentReport): Json {
  return {
    ...(d?.version !== undefined ? { version: d.version } : {}),
    type: d?.type ?? c?.type,
    status: d?.status ?? (c?.status === 'running' || c?.status === 'unhealthy' ? 'running' : 'stopped'),
    restartPolicy: d?.restartPolicy ?? 'never',
    ...(d?.imagePullPolicy ? { imagePullPolicy: d.imagePullPolicy } : {}),
    ...(d?.startupOrderSet ? { startupOrder: d.startupOrder } : {}),
    settings: settingsOf(c, d),
    env: d?.env ?? (c ? envOf(c) : {}),
    ...runtimeFields(c, d, r),
    ...restartFields(c),
  }
}

/** `systemModules.edgeAgent`: no status, restart policy or restart count (it is the daemon's to restart). */
export function reportedEdgeAgent(c: CurrentModule | undefined, d: DesiredModule | undefined, r: AgentReport): Json {
  const fields = runtimeFields(c, d, r)
  return {
    type: d?.type ?? c?.type ?? 'process',
    ...(d?.imagePullPolicy ? { imagePullPolicy: d.imagePullPolicy } : {}),
    settings: settingsOf(c, d),
    env: d?.env ?? (c ? envOf(c) : {}),
    ...fields,
    // Whoever reports is running.
    runtimeStatus: 'running',
    statusDescription: c?.description ?? 'running',
  }
}

/** The whole reported document (JSON values only). */
export function buildReportedState(r: AgentReport, versionInfo: VersionInfo): Json {
  const state: Json = {
    schemaVersion: REPORTED_SCHEMA_VERSION,
    version: { ...versionInfo },
    ...(r.lastDesiredVersion !== undefined ? { lastDesiredVersion: r.lastDesiredVersion } : {}),
    lastDesiredStatus: { code: r.status.code, description: r.status.description },
  }
  if (r.runtime) {
    // Registry passwords stay out of the twin.
    const { registryCredentials: _secrets, ...settings } = r.runtime.settings
    state.runtime = { platform: { os: r.platform.osType, architecture: r.platform.architecture, version: r.platform.version }, type: r.runtime.type, settings }
  }
  if (r.current) {
    const names = new Set(r.current.names())
    const modules: Json = {}
    for (const c of r.current) {
      if (c.name === EDGE_AGENT || c.name === EDGE_HUB) continue
      modules[c.name] = reportedModule(c, r.desired?.get(c.name), r)
    }
    state.systemModules = {
      edgeAgent: reportedEdgeAgent(r.current.get(EDGE_AGENT), r.desired?.get(EDGE_AGENT), r),
      ...(names.has(EDGE_HUB) || r.desired?.has(EDGE_HUB) ? { edgeHub: reportedModule(r.current.get(EDGE_HUB), r.desired?.get(EDGE_HUB), r) } : {}),
    }
    state.modules = modules
  }
  return JSON.parse(JSON.stringify(state)) as Json
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b) || (isPlainObject(a) && isPlainObject(b) && Object.keys(diffPatch(a, b)).length === 0)
}

/** The merge patch that turns `from` into `to`: changed keys, `null` for removed ones, objects recursively. */
export function diffPatch(from: Json, to: Json): Json {
  const patch: Json = {}
  for (const [k, v] of Object.entries(to)) {
    const old = from[k]
    if (isPlainObject(old) && isPlainObject(v)) {
      const sub = diffPatch(old, v)
      if (Object.keys(sub).length > 0) patch[k] = sub
    } else if (!same(old, v)) {
      patch[k] = v
    }
  }
  for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null
  return patch
}

/**
 * Reports to the twin. The first report starts from what the twin holds (so modules that went away while the agent
 * was down are removed); a failed update is retried by the next report with the whole difference.
 */
export class TwinReporter implements Reporter {
  private last: Json | undefined

  constructor(private readonly d: { sink: ReportedPropertiesSink; version: VersionInfo; log: Logger }) {}

  async report(r: AgentReport): Promise<void> {
    const next = buildReportedState(r, this.d.version)
    if (!r.current && this.last?.modules !== undefined) {
      // The daemon did not answer: keep the modules as last reported.
      next.systemModules = this.last.systemModules
      next.modules = this.last.modules
    }
    if (!this.last) {
      const held = await this.d.sink.reported()
      if (held === undefined) return // not connected: nothing to compare with, nowhere to send
      this.last = stripTwinMetadata(held) as Json
    }
    const patch = diffPatch(this.last, next)
    if (Object.keys(patch).length === 0) return
    await this.d.sink.update(patch)
    this.last = next
    this.d.log.debug({ event: 'reported.updated', keys: Object.keys(patch) }, 'updated reported properties')
  }
}

/** Keeps the last state and its patches, sends nothing (tests). */
export class NullReporter implements Reporter {
  last: Json | undefined
  readonly patches: Json[] = []

  constructor(private readonly version: VersionInfo = { version: '0.0.0', build: '', commit: '' }) {}

  async report(r: AgentReport): Promise<void> {
    const next = buildReportedState(r, this.version)
    const patch = diffPatch(this.last ?? {}, next)
    if (Object.keys(patch).length > 0) this.patches.push(patch)
    this.last = next
  }
}
