/**
 * Test doubles (`@ledge/edge-agent/testing`): a {@link RecordingCommandFactory} for planner tests and a
 * {@link FakeModuleManagement} standing for the daemon (a fake is fine here: it is not a server).
 */
import { AppError, type Clock } from '@ledge/common'
import type { Identity, SystemInfo } from '@ledge/protocol'
import type { CurrentModule, DesiredModule, RuntimeInfo } from './model.js'
import type { AgentModuleDetails, AgentModuleSpec, ModuleManagement } from './module-management.js'
import type { Command, CommandFactory } from './planner/command.js'

class RecordedCommand implements Command {
  constructor(
    readonly id: string,
    private readonly text: string,
    private readonly factory: RecordingCommandFactory,
    readonly prerequisite = false,
  ) {}

  describe(): string {
    return this.text
  }

  async execute(): Promise<void> {
    this.factory.executed.push(this.text)
    const err = this.factory.failures.get(this.text)
    if (err) throw err
  }
}

/** Makes commands that describe themselves as `create camera`, `restart camera`, … and records their runs. */
export class RecordingCommandFactory implements CommandFactory {
  readonly executed: string[] = []
  readonly failures = new Map<string, Error>()

  /** Makes the command described as `text` fail with `message`. */
  fail(text: string, message = `${text} failed`): void {
    this.failures.set(text, new Error(message))
  }

  private cmd(text: string, id = text, prerequisite = false): Command {
    return new RecordedCommand(id, text, this, prerequisite)
  }

  create(m: DesiredModule): Command {
    return this.cmd(`create ${m.name}`, `create ${m.name}@${m.hash}`)
  }
  /** `prepare a`, or `prepare a (prerequisite)`. */
  prepareUpdate(m: DesiredModule, _r: RuntimeInfo, o: { prerequisite?: boolean } = {}): Command {
    return this.cmd(`prepare ${m.name}${o.prerequisite ? ' (prerequisite)' : ''}`, `prepare ${m.name}@${m.hash}`, o.prerequisite ?? false)
  }
  update(_c: CurrentModule, m: DesiredModule): Command {
    return this.cmd(`update ${m.name}`, `update ${m.name}@${m.hash}`)
  }
  start(m: { name: string }): Command {
    return this.cmd(`start ${m.name}`)
  }
  stop(m: { name: string }): Command {
    return this.cmd(`stop ${m.name}`)
  }
  remove(m: { name: string }): Command {
    return this.cmd(`remove ${m.name}`)
  }
  restart(m: CurrentModule): Command {
    return this.cmd(`restart ${m.name}`)
  }
  resetRestartStats(m: { name: string }): Command {
    return this.cmd(`reset-restart-stats ${m.name}`)
  }
}

interface FakeModule {
  spec: AgentModuleSpec
  status: 'running' | 'stopped' | 'failed' | 'dead'
  health?: 'healthy' | 'unhealthy'
  startTime?: string
  exit?: { statusTime: string; exitCode: string }
}

const notFound = (what: string) => new AppError('ERR_MANAGEMENT_API', 'not_found', `${what}: 404 not found`)

/** An in-memory daemon: modules and identities, every call logged, failures on demand. */
export class FakeModuleManagement implements ModuleManagement {
  readonly modules = new Map<string, FakeModule>()
  readonly identities = new Map<string, Identity>()
  readonly calls: string[] = []
  private readonly failing = new Map<string, Error>()
  private generation = 0
  /** Set to simulate the daemon being down. */
  down = false

  constructor(private readonly clock: Clock) {}

  /** Makes the call logged as `call` (`create camera`, `start camera`, `list`) fail until {@link heal}. */
  failOn(call: string, err: Error = new AppError('ERR_MANAGEMENT_API', 'internal', `${call}: 500 boom`)): void {
    this.failing.set(call, err)
  }

  heal(call: string): void {
    this.failing.delete(call)
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString()
  }

  private record(call: string): void {
    if (this.down) throw new AppError('ERR_DAEMON_UNREACHABLE', 'unavailable', 'the edge daemon is unreachable')
    this.calls.push(call)
    const err = this.failing.get(call)
    if (err) throw err
  }

  private module(name: string, call: string): FakeModule {
    const m = this.modules.get(name)
    if (!m) throw notFound(call)
    return m
  }

  /** The module exits by itself with `exitCode`. */
  exit(name: string, exitCode: number): void {
    const m = this.modules.get(name)!
    m.status = exitCode === 0 ? 'stopped' : 'failed'
    m.exit = { statusTime: this.now(), exitCode: String(exitCode) }
  }

  setHealth(name: string, health: 'healthy' | 'unhealthy'): void {
    this.modules.get(name)!.health = health
  }

  details(name: string): AgentModuleDetails {
    const m = this.modules.get(name)!
    return {
      id: name,
      name,
      type: m.spec.type,
      labels: { ...m.spec.labels },
      config: { settings: structuredClone(m.spec.config.settings), env: [...(m.spec.config.env ?? []), { key: 'IOTEDGE_MODULEID', value: name }] },
      status: {
        ...(m.startTime ? { startTime: m.startTime } : {}),
        ...(m.exit ? { exitStatus: m.exit } : {}),
        runtimeStatus: { status: m.status },
        ...(m.health ? { health: m.health } : {}),
      },
    }
  }

  async list(): Promise<AgentModuleDetails[]> {
    this.record('list')
    return [...this.modules.keys()].map((n) => this.details(n))
  }

  async get(name: string): Promise<AgentModuleDetails | undefined> {
    this.record(`get ${name}`)
    return this.modules.has(name) ? this.details(name) : undefined
  }

  async create(spec: AgentModuleSpec): Promise<void> {
    this.record(`create ${spec.name}`)
    if (this.modules.has(spec.name)) throw new AppError('ERR_MANAGEMENT_API', 'conflict', `create ${spec.name}: 409 exists`)
    this.modules.set(spec.name, { spec: structuredClone(spec), status: 'stopped' })
  }

  async update(spec: AgentModuleSpec): Promise<void> {
    this.record(`update ${spec.name}`)
    this.module(spec.name, `update ${spec.name}`)
    this.modules.set(spec.name, { spec: structuredClone(spec), status: 'stopped' })
  }

  async prepareUpdate(spec: AgentModuleSpec): Promise<void> {
    this.record(`prepare ${spec.name}`)
  }

  async start(name: string): Promise<void> {
    this.record(`start ${name}`)
    const m = this.module(name, `start ${name}`)
    if (m.status === 'running') return
    m.status = 'running'
    m.startTime = this.now()
    delete m.health
  }

  async stop(name: string): Promise<void> {
    this.record(`stop ${name}`)
    const m = this.module(name, `stop ${name}`)
    if (m.status !== 'running') return
    m.status = 'stopped'
    m.exit = { statusTime: this.now(), exitCode: '0' }
  }

  async restart(name: string): Promise<void> {
    this.record(`restart ${name}`)
    const m = this.module(name, `restart ${name}`)
    m.status = 'running'
    m.startTime = this.now()
    delete m.health
  }

  async remove(name: string): Promise<void> {
    this.record(`remove ${name}`)
    this.modules.delete(name)
  }

  async listIdentities(): Promise<Identity[]> {
    this.record('list identities')
    return [...this.identities.values()]
  }

  async createIdentity(moduleId: string): Promise<Identity> {
    this.record(`create identity ${moduleId}`)
    const identity: Identity = { moduleId, managedBy: 'IotEdge', generationId: `gen-${++this.generation}`, authType: 'Sas' }
    this.identities.set(moduleId, identity)
    return identity
  }

  async updateIdentity(moduleId: string): Promise<Identity> {
    this.record(`update identity ${moduleId}`)
    const identity = { ...this.identities.get(moduleId)!, managedBy: 'IotEdge' }
    this.identities.set(moduleId, identity)
    return identity
  }

  async deleteIdentity(moduleId: string): Promise<void> {
    this.record(`delete identity ${moduleId}`)
    this.identities.delete(moduleId)
  }

  async systemInfo(): Promise<SystemInfo> {
    this.record('systeminfo')
    return { osType: 'linux', architecture: 'x86_64', version: '0.1.0' }
  }
}
