/**
 * Modules as the management API and the watchdog see them: a ModuleSpec becomes a ModuleRuntime config with its
 * identity ensured in the hub, its workload socket and its environment; `type` picks the runtime (only `process`
 * exists now: a `docker` module is refused with a clear error until that runtime does).
 */
import { isAppError, type Logger } from '@ledge/common'
import type { LogLine, LogOptions, ModuleConfig, ModuleRuntime, ModuleState } from '@ledge/module-runtime'
import { IOTEDGE_ENV, type EnvVar, type ManagementRuntimeStatus, type ModuleDetails, type ModuleSpec } from '@ledge/protocol'
import { z } from 'zod'
import { errors } from '../errors.js'
import type { IdentityManager } from '../identity/identity-manager.js'
import type { WorkloadSockets } from '../workload/sockets.js'
import { moduleEnv, type EnvContext, type ModuleRole } from './env.js'
import { EDGE_HUB_MODULE_NAME, MODULE_NAME, moduleIdOf } from './names.js'
import { defaultEdgeHubSettings } from '../config/defaults.js'

/** Labels the daemon keeps with each module. */
export const LABELS = {
  /** The env as the spec gave it (JSON), which GET answers with: the daemon's IOTEDGE_* are not the agent's business. */
  specEnv: 'ledge.spec-env',
  generationId: 'ledge.generation-id',
  owner: 'net.azure-devices.edge.owner',
  /** A hash of the agent's desired config, for the watchdog. */
  configHash: 'ledge.config-hash',
} as const

export const moduleSpecSchema = z.object({
  name: z.string().regex(MODULE_NAME, 'must be a module name (letters, digits, _ . -; up to 128)'),
  type: z.string().min(1),
  imagePullPolicy: z.enum(['on-create', 'never']).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  config: z.object({
    settings: z.record(z.string(), z.unknown()),
    env: z.array(z.object({ key: z.string().min(1), value: z.string() })).optional(),
  }),
})

export function parseModuleSpec(body: unknown): ModuleSpec {
  const r = moduleSpecSchema.safeParse(body)
  if (!r.success) throw errors.badRequest(`invalid module spec: ${r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`)
  return r.data as ModuleSpec
}

const STATUS: Record<ModuleState['status'], ManagementRuntimeStatus> = {
  created: 'stopped', running: 'running', stopped: 'stopped', failed: 'failed', dead: 'dead', unknown: 'unknown',
}

export interface ModuleServiceDeps {
  runtimes: readonly ModuleRuntime[]
  identities: IdentityManager
  workload: WorkloadSockets
  env: EnvContext
  agentName: string
  log: Logger
}

export class ModuleService {
  constructor(private readonly d: ModuleServiceDeps) {}

  get agentName(): string {
    return this.d.agentName
  }

  runtimeFor(type: string): ModuleRuntime {
    const r = this.d.runtimes.find((x) => x.type === type)
    if (!r) throw errors.runtimeUnsupported(type, this.d.runtimes.map((x) => x.type))
    return r
  }

  async list(): Promise<ModuleState[]> {
    return (await Promise.all(this.d.runtimes.map((r) => r.list()))).flat()
  }

  async get(name: string): Promise<ModuleState | undefined> {
    for (const r of this.d.runtimes) {
      const s = await r.get(name)
      if (s) return s
    }
    return undefined
  }

  async mustGet(name: string): Promise<{ state: ModuleState; runtime: ModuleRuntime }> {
    const state = await this.get(name)
    if (!state) throw errors.moduleNotFound(name)
    return { state, runtime: this.runtimeFor(state.type) }
  }

  /** Creates the module (not started). `labels` are added to the runtime config (the watchdog's config hash). */
  async create(spec: ModuleSpec, labels: Record<string, string> = {}): Promise<ModuleState> {
    const runtime = this.runtimeFor(spec.type)
    if (await this.get(spec.name)) throw errors.moduleExists(spec.name)
    const moduleId = moduleIdOf(spec.name, this.d.agentName)
    const creds = await this.d.identities.ensure(moduleId)
    const socket = await this.d.workload.ensure(spec.name, moduleId)
    const specEnv = Object.fromEntries((spec.config.env ?? []).map((e) => [e.key, e.value]))
    const role: ModuleRole = spec.name === this.d.agentName ? 'agent' : spec.name === EDGE_HUB_MODULE_NAME ? 'edgeHub' : 'module'
    const config: ModuleConfig = {
      name: spec.name,
      type: spec.type,
      settings: withBuiltInEdgeHub(role, spec.type, spec.config.settings),
      env: moduleEnv(this.d.env, { moduleId, generationId: creds.generationId, workloadSocket: socket, role }, specEnv),
      ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
      labels: {
        [LABELS.owner]: 'Microsoft.Azure.Devices.Edge.Agent',
        ...spec.labels,
        [LABELS.specEnv]: JSON.stringify(spec.config.env ?? []),
        [LABELS.generationId]: creds.generationId,
        ...labels,
      },
    }
    try {
      await runtime.create(config)
    } catch (err) {
      if (isAppError(err) && err.code === 'ERR_MODULE_EXISTS') throw errors.moduleExists(spec.name)
      throw err
    }
    this.d.log.info({ event: 'module.created', module: spec.name, moduleId, type: spec.type }, 'module created')
    return (await runtime.get(spec.name))!
  }

  /**
   * Readies an update of the module to `spec` without touching it or any other module (aziot-edged's
   * `prepareupdate`): the runtime pulls the image. The module need not exist yet. A runtime with nothing to fetch
   * (processes) has nothing to do.
   */
  async prepare(spec: ModuleSpec): Promise<void> {
    const runtime = this.runtimeFor(spec.type)
    if (!runtime.prepare) return
    const role: ModuleRole = spec.name === this.d.agentName ? 'agent' : spec.name === EDGE_HUB_MODULE_NAME ? 'edgeHub' : 'module'
    await runtime.prepare({
      name: spec.name,
      type: spec.type,
      settings: withBuiltInEdgeHub(role, spec.type, spec.config.settings),
      env: Object.fromEntries((spec.config.env ?? []).map((e) => [e.key, e.value])),
      ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
    })
    this.d.log.info({ event: 'module.prepared', module: spec.name, type: spec.type }, 'module update prepared')
  }

  /** Replaces the module's config (Azure: remove and create again), starting it when `start`. */
  async update(spec: ModuleSpec, start: boolean, labels: Record<string, string> = {}): Promise<ModuleState> {
    this.runtimeFor(spec.type)
    const previous = await this.get(spec.name)
    // The watchdog's hash survives an update by the agent itself (a self-update is not a config change to revert).
    const hash = previous?.config.labels?.[LABELS.configHash]
    if (previous) await this.remove(spec.name, { keepSocket: true })
    await this.create(spec, { ...(hash ? { [LABELS.configHash]: hash } : {}), ...labels })
    if (start) await this.start(spec.name)
    return (await this.get(spec.name))!
  }

  async remove(name: string, o: { keepSocket?: boolean } = {}): Promise<void> {
    const { state, runtime } = await this.mustGet(name)
    await runtime.stop(name, { graceMs: graceMsOf(state) }).catch(() => undefined)
    await runtime.remove(name)
    if (!o.keepSocket) await this.d.workload.remove(name)
    this.d.log.info({ event: 'module.removed', module: name }, 'module removed')
  }

  async start(name: string): Promise<void> {
    const { runtime } = await this.mustGet(name)
    await runtime.start(name)
  }

  async stop(name: string): Promise<void> {
    const { state, runtime } = await this.mustGet(name)
    await runtime.stop(name, { graceMs: graceMsOf(state) })
  }

  async restart(name: string): Promise<void> {
    const { runtime } = await this.mustGet(name)
    await runtime.restart(name)
  }

  async logs(name: string, opts: LogOptions): Promise<AsyncIterable<LogLine>> {
    const { runtime } = await this.mustGet(name)
    return runtime.logs(name, opts)
  }

  /**
   * Every module gets its workload socket again (daemon start: the modules outlived the previous daemon), where its
   * `IOTEDGE_WORKLOADURI` says: a module created by an older daemon keeps the path its container was made with.
   */
  async attachExisting(): Promise<void> {
    for (const m of await this.list()) {
      const uri = m.config.env?.[IOTEDGE_ENV.workloadUri]
      const path = uri?.startsWith('unix://') ? uri.slice('unix://'.length) : undefined
      await this.d.workload.ensure(m.name, moduleIdOf(m.name, this.d.agentName), path)
    }
  }

  /** Stops every module, each with its grace period. */
  async stopAll(): Promise<void> {
    const all = await this.list().catch(() => [])
    await Promise.all(all.filter((m) => m.status === 'running').map((m) => this.stop(m.name).catch((err: unknown) =>
      this.d.log.warn({ err, event: 'module.stop_failed', module: m.name }, 'module did not stop cleanly'))))
  }

  async removeAll(): Promise<void> {
    for (const m of await this.list()) await this.remove(m.name)
  }

  async restartAll(): Promise<void> {
    for (const m of await this.list()) if (m.status === 'running') await this.restart(m.name)
  }

  details(s: ModuleState): ModuleDetails {
    let env: EnvVar[] = []
    try {
      env = JSON.parse(s.config.labels?.[LABELS.specEnv] ?? '[]') as EnvVar[]
    } catch {
      /* a module not created by this daemon */
    }
    const internal = new Set<string>([LABELS.specEnv, LABELS.generationId, LABELS.configHash])
    const labels = Object.fromEntries(Object.entries(s.config.labels ?? {}).filter(([k]) => !internal.has(k)))
    return {
      id: s.name,
      name: s.name,
      type: s.type,
      config: { settings: s.config.settings, env },
      labels,
      status: {
        ...(s.health !== 'none' ? { health: s.health } : {}),
        ...(s.startedAt ? { startTime: s.startedAt } : {}),
        ...(s.exitedAt ? { exitStatus: { statusTime: s.exitedAt, exitCode: String(s.exitCode ?? '') } } : {}),
        runtimeStatus: { status: STATUS[s.status], ...(s.description ? { description: s.description } : {}) },
      },
    }
  }
}

/** The grace period of a process module (`stopGraceSeconds`, default 10 s). */
export function graceMsOf(s: ModuleState): number {
  const g = s.config.settings.stopGraceSeconds
  return typeof g === 'number' && g >= 0 ? g * 1000 : 10_000
}

/** The `edgeHub` system module as a process with no command of its own runs Ledge's edge hub (see defaults.ts). */
function withBuiltInEdgeHub(role: ModuleRole, type: string, settings: Record<string, unknown>): Record<string, unknown> {
  if (role !== 'edgeHub' || type !== 'process' || typeof settings.command === 'string') return settings
  return { ...settings, ...defaultEdgeHubSettings() }
}
