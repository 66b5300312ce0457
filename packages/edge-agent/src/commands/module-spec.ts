/**
 * From the manifest to the daemon and back: the desired module set, the ModuleSpec the agent sends (manifest env
 * only: the daemon adds `IOTEDGE_*`), and the spec hash that tells an update.
 */
import { createHash } from 'node:crypto'
import { DEFAULT_STARTUP_ORDER, joinCreateOptions, type EdgeAgentDesired, type EnvVar, type ModuleDesired, type ModuleEnv } from '@ledge/protocol'
import type { CurrentModule, DesiredModule, ModuleRecord, RuntimeInfo } from '../model.js'
import { EDGE_AGENT, EDGE_HUB } from '../model.js'
import { ModuleSet } from '../module-set.js'
import { LABELS, OWNER, type AgentModuleDetails, type AgentModuleSpec } from '../module-management.js'

/** JSON with sorted keys: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** Env names the daemon adds to every module: ignored when a module's config is compared without a label. */
const DAEMON_ENV = /^(IOTEDGE_.*|EdgeDeviceHostName|EdgeModuleCACertificateFile|RuntimeLogLevel|UpstreamProtocol)$/

/**
 * The hash of what makes a module's process or container: type, image/command settings (docker createOptions
 * parts joined and parsed, so that splitting them differently changes nothing), env. Status, restart policy and
 * startup order are the agent's business and change no hash. `version` and `imagePullPolicy` count only when the
 * spec carries them (a label-less module from the daemon has neither).
 */
export function specHash(m: { type: string; settings: Record<string, unknown>; env: Record<string, string>; version?: string | undefined; imagePullPolicy?: string | undefined }): string {
  const settings: Record<string, unknown> = { ...m.settings }
  if (m.type === 'docker') {
    const text = joinCreateOptions(settings)
    for (const k of Object.keys(settings)) if (/^createOptions(\d\d)?$/.test(k)) delete settings[k]
    delete settings.auth
    if (text !== undefined && text.trim() !== '') {
      try {
        settings.createOptions = JSON.parse(text)
      } catch {
        settings.createOptions = text
      }
    }
  }
  const doc = { type: m.type, settings, env: m.env, version: m.version, imagePullPolicy: m.imagePullPolicy }
  return createHash('sha256').update(canonicalJson(doc)).digest('hex')
}

function envValues(env: ModuleEnv | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, v.value]))
}

function desiredModule(name: string, m: ModuleDesired): DesiredModule {
  const env = m.env ?? {}
  return {
    name,
    ...(m.version !== undefined ? { version: m.version } : {}),
    type: m.type,
    status: m.status,
    restartPolicy: m.restartPolicy,
    ...(m.imagePullPolicy !== undefined ? { imagePullPolicy: m.imagePullPolicy } : {}),
    startupOrderSet: m.startupOrder !== undefined,
    startupOrder: m.startupOrder ?? DEFAULT_STARTUP_ORDER,
    settings: m.settings,
    env,
    hash: specHash({ type: m.type, settings: m.settings, env: envValues(env), version: m.version, imagePullPolicy: m.imagePullPolicy }),
    configHash: specHash({ type: m.type, settings: m.settings, env: envValues(env) }),
  }
}

/** The modules a deployment asks for: `edgeHub` and the custom modules (`edgeAgent` too, for the report). */
export function desiredModuleSet(desired: EdgeAgentDesired): ModuleSet<DesiredModule> {
  const agent = desired.systemModules.edgeAgent
  const agentModule = desiredModule(EDGE_AGENT, { ...agent, status: 'running', restartPolicy: 'always' })
  return new ModuleSet([
    agentModule,
    desiredModule(EDGE_HUB, desired.systemModules.edgeHub),
    ...Object.entries(desired.modules).map(([name, m]) => desiredModule(name, m)),
  ])
}

export function runtimeInfoOf(desired: EdgeAgentDesired): RuntimeInfo {
  return { type: desired.runtime.type, settings: desired.runtime.settings ?? {} }
}

/** The registry of a Docker image reference (`docker.io` when it has none). */
function registryOf(image: string): string {
  const first = image.split('/')[0]!
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io'
}

/** Docker's pull credentials for the module's image from the runtime's `registryCredentials` (as Azure's `auth`). */
function dockerAuth(settings: Record<string, unknown>, runtime: RuntimeInfo): Record<string, string> | undefined {
  const image = settings.image
  const creds = runtime.settings.registryCredentials as Record<string, { username: string; password: string; address: string }> | undefined
  if (typeof image !== 'string' || !creds) return undefined
  const registry = registryOf(image)
  const c = Object.values(creds).find((c) => c.address === registry || c.address.replace(/^https?:\/\//, '').replace(/\/$/, '') === registry)
  return c ? { username: c.username, password: c.password, serveraddress: c.address } : undefined
}

/** What the agent asks the daemon to create or update: the manifest env only; the daemon adds `IOTEDGE_*`. */
export function toModuleSpec(m: DesiredModule, runtime: RuntimeInfo): AgentModuleSpec {
  let settings: Record<string, unknown> = { ...m.settings }
  if (m.type === 'docker') {
    const createOptions = joinCreateOptions(settings)
    settings = Object.fromEntries(Object.entries(settings).filter(([k]) => !/^createOptions\d\d$/.test(k)))
    if (createOptions !== undefined) settings.createOptions = createOptions
    const auth = dockerAuth(settings, runtime)
    if (auth) settings.auth = auth
  }
  const env: EnvVar[] = Object.entries(m.env).map(([key, v]) => ({ key, value: v.value }))
  return {
    name: m.name,
    type: m.type,
    ...(m.imagePullPolicy ? { imagePullPolicy: m.imagePullPolicy } : {}),
    config: { settings, env },
    labels: { [LABELS.owner]: OWNER, [LABELS.specHash]: m.hash, ...(m.version !== undefined ? { [LABELS.version]: m.version } : {}) },
  }
}

function exitCodeOf(d: AgentModuleDetails): number | undefined {
  const raw = d.status.exitStatus?.exitCode
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  return Number.isFinite(n) ? n : undefined
}

/** The agent's view of a module the daemon reports, with the agent's own record (restart stats) merged in. */
export function currentModule(d: AgentModuleDetails, record: ModuleRecord | undefined): CurrentModule {
  const labels = d.labels ?? (d.config as { labels?: Record<string, string> }).labels
  const env = Object.fromEntries((d.config.env ?? []).filter((e) => !DAEMON_ENV.test(e.key)).map((e) => [e.key, e.value]))
  const label = labels?.[LABELS.specHash]
  const hash = label ?? specHash({ type: d.type, settings: d.config.settings ?? {}, env })
  const exitCode = exitCodeOf(d)
  const raw = d.status.runtimeStatus.status as string
  let status: CurrentModule['status']
  if (raw === 'running') status = d.status.health === 'unhealthy' ? 'unhealthy' : 'running'
  else if (raw === 'unhealthy') status = 'unhealthy'
  else if (raw === 'stopped' || raw === 'failed') status = exitCode !== undefined && exitCode !== 0 ? 'failed' : raw === 'failed' ? 'failed' : 'stopped'
  else if (raw === 'dead') status = 'dead'
  else status = 'unknown'
  return {
    name: d.name,
    type: d.type,
    hash,
    labelled: label !== undefined,
    status,
    ...(d.status.runtimeStatus.description ? { description: d.status.runtimeStatus.description } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(d.status.startTime ? { lastStartTimeUtc: d.status.startTime } : {}),
    ...(d.status.exitStatus?.statusTime ? { lastExitTimeUtc: d.status.exitStatus.statusTime } : {}),
    restartCount: record?.restartCount ?? 0,
    ...(record?.lastRestartTimeUtc ? { lastRestartTimeUtc: record.lastRestartTimeUtc } : {}),
    ...(record?.appliedStatus ? { appliedStatus: record.appliedStatus } : {}),
    details: d,
  }
}
