/**
 * The `process` ModuleRuntime: each module a child process of the daemon, its output in rotated JSON-lines files, its
 * record on disk. See the README for the files under `stateDir` and the choices made.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError, silentLogger, systemClock, type Clock, type Logger } from '@ledge/common'
import type { LogLine, LogOptions, ModuleConfig, ModuleEvent, ModuleRuntime, ModuleState } from '@ledge/module-runtime'
import { moduleErrors } from '@ledge/module-runtime'
import { DEFAULT_LOG_ROTATION, RotatingLogFile, type LogRotation } from './log-file.js'
import { LogSignal, readLogs } from './log-reader.js'
import { ModuleProcess, type RunExit } from './module-process.js'
import { ModuleStore, RECORD_SCHEMA_VERSION, type ModuleRecord } from './module-store.js'
import { exitCodeOf } from './proc.js'
import { recoverInterruptedRun } from './recovery.js'
import { graceMsOf, isValidName, PROCESS_TYPE, resolveLaunch } from './settings.js'

export interface ProcessModuleRuntimeOptions {
  /** Where records and logs live (`modules/`, `logs/`); created if missing. */
  stateDir: string
  /** The base of relative `command` paths and `workingDir`, and the default working directory (else `/`). */
  modulesDir?: string
  clock?: Clock
  log?: Logger
  /** Per module: rotate `current.log` at `maxBytes` (default 10 MiB), keep `files` files (default 3). */
  logRotation?: Partial<LogRotation>
}

/** A module known to the runtime. */
interface Entry {
  record: ModuleRecord
  /** The current run, while there is one; `settled` resolves once its exit is recorded. */
  run?: { proc: ModuleProcess; settled: Promise<void> }
  logs: LogSignal
  /** Serialises start/stop/restart/remove of this module. */
  queue: Promise<unknown>
}

export class ProcessModuleRuntime implements ModuleRuntime {
  readonly type = PROCESS_TYPE
  private readonly stateDir: string
  private readonly modulesDir: string | undefined
  private readonly clock: Clock
  private readonly log: Logger
  private readonly rotation: LogRotation
  private readonly store: ModuleStore
  private readonly entries = new Map<string, Entry>()
  private readonly listeners = new Set<(e: ModuleEvent) => void>()
  private readonly ready: Promise<void>
  private closing: Promise<void> | undefined

  /** Starts loading the records at once; every call waits for that (`open` waits up front). */
  constructor(options: ProcessModuleRuntimeOptions) {
    this.stateDir = options.stateDir
    this.modulesDir = options.modulesDir
    this.clock = options.clock ?? systemClock
    this.log = options.log ?? silentLogger()
    this.rotation = { ...DEFAULT_LOG_ROTATION, ...options.logRotation }
    const { maxBytes, files } = this.rotation
    if (!(Number.isInteger(maxBytes) && maxBytes > 0 && Number.isInteger(files) && files > 0)) {
      throw new AppError('ERR_RUNTIME_OPTIONS_INVALID', 'invalid', `logRotation needs positive integers, got ${JSON.stringify(this.rotation)}`)
    }
    this.store = new ModuleStore(join(this.stateDir, 'modules'), this.log)
    this.ready = this.load()
    this.ready.catch(() => {})
  }

  static async open(options: ProcessModuleRuntimeOptions): Promise<ProcessModuleRuntime> {
    const runtime = new ProcessModuleRuntime(options)
    await runtime.ready
    return runtime
  }

  async create(config: ModuleConfig): Promise<void> {
    await this.usable()
    if (isValidName(config.name) && this.entries.has(config.name)) throw moduleErrors.exists(config.name)
    await resolveLaunch(config, this.modulesDir)
    if (this.entries.has(config.name)) throw moduleErrors.exists(config.name)
    const record: ModuleRecord = { schemaVersion: RECORD_SCHEMA_VERSION, config: structuredClone(config), status: 'created', createdAt: this.now() }
    const entry: Entry = { record, logs: new LogSignal(), queue: Promise.resolve() }
    this.entries.set(config.name, entry)
    try {
      // Logs left by a module of the same name that was removed while the daemon crashed.
      await rm(this.logDir(config.name), { recursive: true, force: true })
      await this.store.save(record)
    } catch (err) {
      this.entries.delete(config.name)
      throw err
    }
    this.log.info({ event: 'module.created', moduleId: config.name }, 'module created')
  }

  async start(name: string): Promise<void> {
    await this.exclusive(name, (entry) => this.startNow(entry))
  }

  async stop(name: string, opts: { graceMs?: number } = {}): Promise<void> {
    await this.exclusive(name, (entry) => this.stopNow(entry, opts.graceMs))
  }

  async restart(name: string): Promise<void> {
    await this.exclusive(name, async (entry) => {
      await this.stopNow(entry)
      await this.startNow(entry)
    })
  }

  async remove(name: string): Promise<void> {
    await this.exclusive(name, async (entry) => {
      await this.stopNow(entry)
      this.entries.delete(name)
      entry.logs.end()
      await this.store.delete(name)
      await rm(this.logDir(name), { recursive: true, force: true })
      this.log.info({ event: 'module.removed', moduleId: name }, 'module removed')
    })
  }

  async get(name: string): Promise<ModuleState | undefined> {
    await this.usable()
    const entry = this.entries.get(name)
    return entry && toState(entry.record)
  }

  async list(): Promise<ModuleState[]> {
    await this.usable()
    return [...this.entries.values()].map((e) => toState(e.record))
  }

  async *logs(name: string, opts: LogOptions = {}): AsyncGenerator<LogLine> {
    await this.usable()
    const entry = this.entries.get(name)
    if (!entry) throw moduleErrors.notFound(name)
    yield* readLogs({ dir: this.logDir(name), files: this.rotation.files, signal: entry.logs }, opts)
  }

  onEvent(listener: (e: ModuleEvent) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  /**
   * Stops every running module (each with its own grace, all at once), ends log followers and waits for the records
   * to be written. Modules do not outlive the runtime: a reopened runtime reports them `stopped`.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.ready.catch(() => {})
      await Promise.allSettled([...this.entries.values()].map((e) => this.serialised(e, () => this.stopNow(e))))
      for (const e of this.entries.values()) e.logs.end()
      await this.store.flush()
      this.log.info({ event: 'runtime.closed' }, 'process runtime closed')
    })()
    return this.closing
  }

  private async load(): Promise<void> {
    const records = await this.store.loadAll()
    await Promise.all(
      records.map(async (record) => {
        if (record.status === 'running') {
          await recoverInterruptedRun(record, this.clock, this.log)
          await this.store.save(record)
        }
        this.entries.set(record.config.name, { record, logs: new LogSignal(), queue: Promise.resolve() })
      }),
    )
    this.log.info({ event: 'runtime.opened', stateDir: this.stateDir, modules: records.length }, 'process runtime opened')
  }

  private async startNow(entry: Entry): Promise<void> {
    if (entry.run) return
    const { record } = entry
    const name = record.config.name
    const plan = await resolveLaunch(record.config, this.modulesDir)
    const logFile = new RotatingLogFile(this.logDir(name), this.rotation).open()
    entry.logs.bump()
    const log = this.log.child({ moduleId: name })
    let proc: ModuleProcess
    try {
      proc = await ModuleProcess.spawn(plan, { logFile, onOutput: () => entry.logs.bump(), clock: this.clock, log })
    } catch (err) {
      logFile.close()
      return this.spawnFailed(entry, err as NodeJS.ErrnoException)
    }
    const settled = proc.done.then((exit) => this.exited(entry, proc, exit))
    entry.run = { proc, settled }
    setRecord(record, { status: 'running', startedAt: this.now(), pid: proc.pid, pidStartTime: proc.startTime, description: undefined })
    log.info({ event: 'module.started', pid: proc.pid }, 'module started')
    this.emit({ name, status: 'running' })
    await this.store.save(record)
  }

  private async stopNow(entry: Entry, graceMs?: number): Promise<void> {
    const run = entry.run
    if (!run) return
    this.log.info({ event: 'module.stopping', moduleId: entry.record.config.name }, 'stopping module')
    await run.proc.terminate(graceMs ?? graceMsOf(entry.record.config))
    await run.settled
  }

  /** Records the end of a run: `stopped` if asked to stop or exit code 0, else `failed` (code 128+n for signal n). */
  private async exited(entry: Entry, proc: ModuleProcess, exit: RunExit): Promise<void> {
    if (entry.run?.proc !== proc) return
    entry.run = undefined
    const { record } = entry
    const exitCode = exitCodeOf(exit.code, exit.signal)
    const status = exit.stopRequested || exitCode === 0 ? 'stopped' : 'failed'
    const how = exit.signal ? `was ended by ${exit.signal}` : `exited with code ${exitCode}`
    const description = exit.stopRequested ? `stopped on request; the process ${how}${exit.killed ? ' after the grace ran out' : ''}` : `the process ${how}`
    setRecord(record, { status, exitCode, exitedAt: this.now(), description, pid: undefined, pidStartTime: undefined })
    entry.logs.bump()
    this.log.info({ event: 'module.exited', moduleId: record.config.name, status, exitCode }, 'module exited')
    this.emit({ name: record.config.name, status, exitCode })
    if (this.entries.get(record.config.name) !== entry) return
    await this.store.save(record).catch((err) => this.log.error({ err, event: 'record.write_failed', moduleId: record.config.name }, 'could not record the exit'))
  }

  /**
   * The executable went away or cannot be run since `create` validated it: the module is `failed` with the shell's
   * codes (127 not found, 126 cannot execute), and `start` rejects. Resource exhaustion (EAGAIN, EMFILE) is the
   * runtime's problem, not the module's: ERR_RUNTIME_UNAVAILABLE, the module's status unchanged.
   */
  private async spawnFailed(entry: Entry, err: NodeJS.ErrnoException): Promise<never> {
    const { record } = entry
    if (err.code === 'EAGAIN' || err.code === 'EMFILE' || err.code === 'ENFILE' || err.code === 'ENOMEM') {
      throw moduleErrors.unavailable(`cannot start module '${record.config.name}': ${err.message}`, { cause: err })
    }
    const exitCode = err.code === 'ENOENT' ? 127 : 126
    setRecord(record, { status: 'failed', exitCode, exitedAt: this.now(), description: `could not be started: ${err.message}` })
    this.emit({ name: record.config.name, status: 'failed', exitCode })
    await this.store.save(record)
    throw moduleErrors.invalid(record.config.name, [{ setting: 'settings.command', problem: `could not be started: ${err.message}` }])
  }

  /** Runs `fn` on the module `name` after the operations already queued on it; ERR_MODULE_NOT_FOUND if it is (or goes) away. */
  private async exclusive<T>(name: string, fn: (entry: Entry) => Promise<T>): Promise<T> {
    await this.usable()
    const entry = this.entries.get(name)
    if (!entry) throw moduleErrors.notFound(name)
    return this.serialised(entry, () => {
      if (this.entries.get(name) !== entry) throw moduleErrors.notFound(name)
      return fn(entry)
    })
  }

  private serialised<T>(entry: Entry, fn: () => Promise<T>): Promise<T> {
    const result = entry.queue.then(fn)
    entry.queue = result.catch(() => {})
    return result
  }

  private async usable(): Promise<void> {
    if (this.closing) throw moduleErrors.unavailable('the process runtime is closed')
    try {
      await this.ready
    } catch (err) {
      throw moduleErrors.unavailable(`the process runtime could not load its state from ${this.stateDir}`, { cause: err })
    }
  }

  private emit(e: ModuleEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(e)
      } catch (err) {
        this.log.warn({ err, event: 'listener.failed' }, 'a module event listener threw')
      }
    }
  }

  private logDir(name: string): string {
    return join(this.stateDir, 'logs', name)
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString()
  }
}

/** Assigns `patch`, deleting the keys it sets to undefined (so that a record reads the same before and after JSON). */
function setRecord(record: ModuleRecord, patch: Partial<ModuleRecord>): void {
  for (const [key, value] of Object.entries(patch) as [keyof ModuleRecord, unknown][]) {
    if (value === undefined) delete record[key]
    else (record as unknown as Record<string, unknown>)[key] = value
  }
}

function toState(r: ModuleRecord): ModuleState {
  const state: ModuleState = { name: r.config.name, type: r.config.type, status: r.status, health: 'none', config: structuredClone(r.config) }
  if (r.startedAt !== undefined) state.startedAt = r.startedAt
  if (r.exitedAt !== undefined) state.exitedAt = r.exitedAt
  if (r.exitCode !== undefined) state.exitCode = r.exitCode
  if (r.status === 'running' && r.pid !== undefined) state.pid = r.pid
  if (r.description !== undefined) state.description = r.description
  return state
}
