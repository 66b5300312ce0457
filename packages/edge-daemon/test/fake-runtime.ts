/**
 * An in-memory ModuleRuntime for the daemon's tests (edgelet-test-utils style): no processes; tests drive exits with
 * `exit(name, code)` and read what the daemon asked for in `calls`.
 */
import { AppError } from '@ledge/common'
import type { LogLine, LogOptions, ModuleConfig, ModuleEvent, ModuleRuntime, ModuleState } from '@ledge/module-runtime'

export class FakeModuleRuntime implements ModuleRuntime {
  readonly type = 'process'
  readonly modules = new Map<string, ModuleState>()
  readonly calls: string[] = []
  readonly logLines = new Map<string, LogLine[]>()
  private listeners = new Set<(e: ModuleEvent) => void>()
  closed = false

  private must(name: string): ModuleState {
    const m = this.modules.get(name)
    if (!m) throw new AppError('ERR_MODULE_NOT_FOUND', 'not_found', `module '${name}' does not exist`)
    return m
  }

  private emit(e: ModuleEvent): void {
    for (const l of this.listeners) l(e)
  }

  async create(config: ModuleConfig): Promise<void> {
    this.calls.push(`create ${config.name}`)
    if (this.modules.has(config.name)) throw new AppError('ERR_MODULE_EXISTS', 'conflict', `module '${config.name}' exists`)
    if (typeof config.settings.command !== 'string') throw new AppError('ERR_MODULE_INVALID', 'invalid', 'settings.command is required')
    this.modules.set(config.name, { name: config.name, type: config.type, status: 'created', health: 'none', config })
  }

  async start(name: string): Promise<void> {
    this.calls.push(`start ${name}`)
    const m = this.must(name)
    if (m.status === 'running') return
    Object.assign(m, { status: 'running', startedAt: new Date().toISOString(), pid: 4242 })
    this.emit({ name, status: 'running' })
  }

  async stop(name: string, opts?: { graceMs?: number }): Promise<void> {
    this.calls.push(`stop ${name}${opts?.graceMs !== undefined ? ` ${opts.graceMs}` : ''}`)
    const m = this.must(name)
    if (m.status !== 'running') return
    Object.assign(m, { status: 'stopped', exitedAt: new Date().toISOString(), exitCode: 0 })
    delete m.pid
    this.emit({ name, status: 'stopped', exitCode: 0 })
  }

  async restart(name: string): Promise<void> {
    this.calls.push(`restart ${name}`)
    this.must(name)
    await this.stop(name)
    await this.start(name)
  }

  async remove(name: string): Promise<void> {
    this.calls.push(`remove ${name}`)
    this.must(name)
    this.modules.delete(name)
  }

  async get(name: string): Promise<ModuleState | undefined> {
    const m = this.modules.get(name)
    return m ? structuredClone(m) : undefined
  }

  async list(): Promise<ModuleState[]> {
    return [...this.modules.values()].map((m) => structuredClone(m))
  }

  async *logs(name: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    this.must(name)
    let lines = this.logLines.get(name) ?? []
    if (opts.tail !== undefined) lines = lines.slice(-opts.tail)
    for (const l of lines) yield l
    if (opts.follow) await new Promise<void>((resolve) => opts.signal?.addEventListener('abort', () => resolve(), { once: true }))
  }

  onEvent(listener: (e: ModuleEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    this.closed = true
  }

  /** The module's process exits on its own. */
  exit(name: string, exitCode: number): void {
    const m = this.must(name)
    Object.assign(m, { status: exitCode === 0 ? 'stopped' : 'failed', exitedAt: new Date().toISOString(), exitCode })
    delete m.pid
    this.emit({ name, status: m.status, exitCode })
  }
}
