/**
 * The port between the edge daemon and whatever runs modules: processes (the embedded default), Docker containers,
 * later Kubernetes pods. The daemon's management API and watchdog are written against it; each runtime is an adapter
 * that passes the contract suite in `./testing`.
 */

/** What to run. The daemon has already added the `IOTEDGE_*` environment. */
export interface ModuleConfig {
  name: string
  /** The runtime type it is for (`process`, `docker`). */
  type: string
  /** Runtime-specific settings (for `process`: `ProcessModuleSettings` from @ledge/protocol). Validated by `create`. */
  settings: Record<string, unknown>
  env: Record<string, string>
  imagePullPolicy?: 'on-create' | 'never'
  /** Free-form labels kept with the module (owner, version, the agent's hash of the spec). */
  labels?: Record<string, string>
}

/**
 * `created`: never started; `running`; `stopped`: exited with code 0 or stopped on request; `failed`: exited with a
 * non-zero code or a signal; `dead`: the runtime lost it (its record exists but it cannot be inspected or started).
 */
export type ModuleStatus = 'created' | 'running' | 'stopped' | 'failed' | 'dead' | 'unknown'

/** Health from the module's own health check, where the runtime has one (Docker HEALTHCHECK). */
export type ModuleHealth = 'none' | 'starting' | 'healthy' | 'unhealthy'

export interface ModuleState {
  name: string
  type: string
  status: ModuleStatus
  health: ModuleHealth
  config: ModuleConfig
  /** ISO 8601 times of the last start and the last exit. */
  startedAt?: string
  exitedAt?: string
  exitCode?: number
  /** Operating-system process id of the module's main process, while running. */
  pid?: number
  description?: string
}

export interface LogOptions {
  /** Only the last N lines (before following). */
  tail?: number
  /** Only lines at or after this time (epoch ms). */
  since?: number
  until?: number
  /** Keep streaming new lines until `signal` aborts. */
  follow?: boolean
  signal?: AbortSignal
}

export interface LogLine {
  stream: 'stdout' | 'stderr'
  /** ISO 8601 time the line was written. */
  time: string
  text: string
}

export interface ModuleEvent {
  name: string
  status: ModuleStatus
  exitCode?: number
}

/**
 * Errors (AppError from @ledge/common): `ERR_MODULE_EXISTS` (conflict) from `create` of an existing name,
 * `ERR_MODULE_NOT_FOUND` (not_found) for an unknown name, `ERR_MODULE_INVALID` (invalid) for settings the runtime
 * cannot run (the message names the setting), `ERR_RUNTIME_UNAVAILABLE` (unavailable) when the runtime itself is down.
 * Creating, stopping and removing are idempotent where the name allows: `stop` of a stopped module and `start` of a
 * running one succeed and change nothing.
 */
export interface ModuleRuntime {
  /** The module `type` this runtime runs. */
  readonly type: string
  create(config: ModuleConfig): Promise<void>
  /**
   * Readies what a `create` of `config` will need without touching any module: a container runtime pulls the image
   * (the management API's `prepareupdate`). Optional: a runtime with nothing to fetch leaves it out.
   */
  prepare?(config: ModuleConfig): Promise<void>
  start(name: string): Promise<void>
  /** Asks the module to stop (SIGTERM or equivalent), and forces it after `graceMs`. */
  stop(name: string, opts?: { graceMs?: number }): Promise<void>
  restart(name: string): Promise<void>
  /** Stops the module if it runs, then forgets it (its logs go too). */
  remove(name: string): Promise<void>
  get(name: string): Promise<ModuleState | undefined>
  list(): Promise<ModuleState[]>
  logs(name: string, opts?: LogOptions): AsyncIterable<LogLine>
  /** Calls `listener` when a module starts, exits or changes health; returns the unsubscribe function. */
  onEvent(listener: (e: ModuleEvent) => void): () => void
  /** Releases the runtime. Whether modules keep running is the adapter's documented choice. */
  close(): Promise<void>
}
