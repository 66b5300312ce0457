/**
 * The `docker` ModuleRuntime: each module a container of the Docker engine, created from the manifest's settings
 * (see settings.ts), found again by its labels. The engine keeps the containers, their logs and exit codes; the
 * runtime keeps only which runs were stopped on request and when images were last used (runtime-state.ts). See the
 * README for the choices made.
 */
import { EventEmitter } from 'node:events'
import type Docker from 'dockerode'
import type { ContainerInspectInfo } from 'dockerode'
import { silentLogger, systemClock, type Clock, type Logger } from '@ledge/common'
import type { LogLine, LogOptions, ModuleConfig, ModuleEvent, ModuleRuntime, ModuleState } from '@ledge/module-runtime'
import { moduleErrors } from '@ledge/module-runtime'
import { configOf, toModuleState } from './container-state.js'
import { connect, DEFAULT_DOCKER_URI, engineInfo, type EngineInfo } from './engine.js'
import { dockerErrors, engineMessage, isConnectionError, statusOf, toAppError } from './errors.js'
import { DockerEvents } from './events.js'
import { collectImages, ensureImage } from './images.js'
import { readLogs } from './logs.js'
import { RuntimeState } from './runtime-state.js'
import { BUILTIN_NETWORKS, createBody, DEFAULT_NETWORK, DOCKER_TYPE, graceMsOf, isValidName, LABELS, networkOf, parseSettings } from './settings.js'

export interface DockerModuleRuntimeOptions {
  /** The engine's API (`[moby_runtime] uri`); default `unix:///var/run/docker.sock`. */
  uri?: string
  /** The network modules join unless their createOptions set `HostConfig.NetworkMode` (`[moby_runtime] network`). */
  network?: string
  /** The device host name: the `edgeHub` container's alias on a user network. */
  hostname?: string
  /**
   * Tells this runtime's containers from others' (label `ledge.runtime-id`): two daemons, or tests, can share one
   * engine. Default `default`.
   */
  runtimeId?: string
  /** Container name = prefix + module name (default none: `docker ps` shows the module names, as on Azure). */
  containerNamePrefix?: string
  /** Where the runtime keeps its small state file; without one it is kept in memory only. */
  stateDir?: string
  /**
   * Image clean-up: images module containers used, unused for `minAgeMs` (default 7 days), are removed every
   * `intervalMs` (default 1 day). `false` (the default) leaves images alone; `collectImages()` runs one pass.
   */
  imageGc?: { minAgeMs?: number; intervalMs?: number } | false
  /** A create within this long of a `prepare` of the same image does not pull again (default 10 minutes). */
  recentPullMs?: number
  clock?: Clock
  log?: Logger
}

/**
 * Whether the engine refused a create because of the options: 400, or (Docker 20.10 answers many validation errors
 * with 500: "invalid volume specification", "invalid mount config") a 500 whose message says so.
 */
function refusedAsInvalid(err: unknown): boolean {
  const status = statusOf(err)
  return status === 400 || (status === 500 && /invalid|unknown|must|cannot|can't|not supported|conflict|bad|malformed|no such/i.test(engineMessage(err)))
}

export const DEFAULT_IMAGE_GC = { minAgeMs: 7 * 24 * 3600_000, intervalMs: 24 * 3600_000 }

export class DockerModuleRuntime implements ModuleRuntime {
  readonly type = DOCKER_TYPE
  readonly docker: Docker
  readonly uri: string
  readonly runtimeId: string
  private readonly network: string
  private readonly prefix: string
  private readonly clock: Clock
  private readonly log: Logger
  private readonly state: RuntimeState
  private readonly events: DockerEvents
  private readonly internal = new EventEmitter()
  private readonly listeners = new Set<(e: ModuleEvent) => void>()
  private readonly queues = new Map<string, Promise<unknown>>()
  private readonly recentPulls = new Map<string, number>()
  private readonly networksReady = new Map<string, Promise<void>>()
  private readonly closed = new AbortController()
  private gcTimer: NodeJS.Timeout | undefined
  private ready: Promise<void>

  constructor(private readonly options: DockerModuleRuntimeOptions = {}) {
    this.uri = options.uri ?? DEFAULT_DOCKER_URI
    this.docker = connect(this.uri)
    this.network = options.network ?? DEFAULT_NETWORK
    this.runtimeId = options.runtimeId ?? 'default'
    this.prefix = options.containerNamePrefix ?? ''
    this.clock = options.clock ?? systemClock
    this.log = options.log ?? silentLogger()
    this.state = new RuntimeState(options.stateDir, this.log)
    this.internal.setMaxListeners(0)
    this.events = new DockerEvents({
      docker: this.docker, label: this.runtimeLabel, log: this.log, signal: this.closed.signal,
      onEvent: (e) => this.emit(e),
    })
    this.ready = this.load()
    this.ready.catch(() => {})
  }

  /** Opens the runtime and checks that the engine answers (ERR_RUNTIME_UNAVAILABLE if not). */
  static async open(options: DockerModuleRuntimeOptions = {}): Promise<DockerModuleRuntime> {
    const runtime = new DockerModuleRuntime(options)
    try {
      await runtime.ready
    } catch (err) {
      await runtime.close()
      throw toAppError(err, 'opening the docker runtime', runtime.uri)
    }
    return runtime
  }

  private get runtimeLabel(): string {
    return `${LABELS.runtimeId}=${this.runtimeId}`
  }

  private async load(): Promise<void> {
    await this.state.load()
    await this.events.start()
    const gc = this.options.imageGc
    if (gc) {
      const intervalMs = gc.intervalMs ?? DEFAULT_IMAGE_GC.intervalMs
      this.gcTimer = setInterval(() => {
        this.collectImages().catch((err: unknown) => this.log.warn({ err, event: 'image_gc.failed' }, 'image clean-up failed'))
      }, intervalMs)
      this.gcTimer.unref()
    }
    this.log.info({ event: 'runtime.opened', uri: this.uri, runtimeId: this.runtimeId, network: this.network }, 'docker runtime opened')
  }

  /** The engine's version (for `ledge check` and the system info). */
  async engine(): Promise<EngineInfo> {
    await this.usable()
    return this.call('asking the engine its version', () => engineInfo(this.docker))
  }

  async create(config: ModuleConfig): Promise<void> {
    await this.usable()
    if (isValidName(config.name) && (await this.inspect(config.name))) throw moduleErrors.exists(config.name)
    const settings = parseSettings(config)
    await this.serialised(config.name, async () => {
      if (await this.inspect(config.name)) throw moduleErrors.exists(config.name)
      const imageId = await this.call(`pulling the image of '${config.name}'`, () => ensureImage({
        docker: this.docker, name: config.name, settings, policy: config.imagePullPolicy ?? 'on-create', log: this.log,
        recentPulls: this.recentPulls, recentPullMs: this.options.recentPullMs ?? 10 * 60_000, clock: this.clock,
      }))
      const network = networkOf(settings, { network: this.network })
      await this.ensureNetwork(network)
      const body = createBody(config, settings, {
        containerName: this.containerName(config.name), runtimeId: this.runtimeId, network,
        ...(this.options.hostname ? { hostname: this.options.hostname } : {}),
      })
      try {
        await this.docker.createContainer({ ...body, name: this.containerName(config.name) })
      } catch (err) {
        if (statusOf(err) === 409) throw dockerErrors.foreignContainer(config.name, this.containerName(config.name))
        if (refusedAsInvalid(err)) throw moduleErrors.invalid(config.name, [{ setting: 'settings.createOptions', problem: `was refused by the Docker engine: ${engineMessage(err)}` }])
        throw toAppError(err, `creating the container of '${config.name}'`, this.uri)
      }
      this.state.data.imageLastUsed[imageId] = new Date(this.clock.now()).toISOString()
      await this.state.save()
      this.log.info({ event: 'module.created', moduleId: config.name, image: settings.image, network }, 'module created')
    })
  }

  /**
   * Pulls the module's image now (per its imagePullPolicy), without touching any container: what the management
   * API's `prepareupdate` does, so that a deployment can pull every new image before it stops a running module
   * (Azure's ModuleUpdateMode=WaitForAllPulls). A create of the same image soon after does not pull again.
   */
  async prepare(config: ModuleConfig): Promise<void> {
    await this.usable()
    const settings = parseSettings(config)
    await this.call(`pulling the image of '${config.name}'`, () => ensureImage({
      docker: this.docker, name: config.name, settings, policy: config.imagePullPolicy ?? 'on-create', log: this.log,
      recentPulls: this.recentPulls, recentPullMs: this.options.recentPullMs ?? 10 * 60_000, clock: this.clock,
    }))
  }

  async start(name: string): Promise<void> {
    await this.exclusive(name, (info) => this.startNow(name, info))
  }

  async stop(name: string, opts: { graceMs?: number } = {}): Promise<void> {
    await this.exclusive(name, (info) => this.stopNow(name, info, opts.graceMs))
  }

  async restart(name: string): Promise<void> {
    await this.exclusive(name, async (info) => {
      await this.stopNow(name, info)
      await this.startNow(name, (await this.inspect(name)) ?? info)
    })
  }

  async remove(name: string): Promise<void> {
    await this.exclusive(name, async (info) => {
      await this.stopNow(name, info)
      try {
        await this.docker.getContainer(info.Id).remove({ force: true, v: true })
      } catch (err) {
        if (statusOf(err) !== 404) throw toAppError(err, `removing the container of '${name}'`, this.uri, name)
      }
      delete this.state.data.stoppedOnRequest[info.Id]
      await this.state.save()
      this.internal.emit('removed', name)
      this.log.info({ event: 'module.removed', moduleId: name }, 'module removed')
    })
  }

  async get(name: string): Promise<ModuleState | undefined> {
    await this.usable()
    if (!isValidName(name)) return undefined
    const info = await this.inspect(name)
    return info && this.toState(info)
  }

  async list(): Promise<ModuleState[]> {
    await this.usable()
    const containers = await this.call('listing containers', () => this.docker.listContainers({ all: true, filters: { label: [this.runtimeLabel] } }))
    const infos = await Promise.all(containers.map((c) => this.inspectId(c.Id)))
    return infos.flatMap((i) => (i ? [this.toState(i)] : [])).sort((a, b) => a.name.localeCompare(b.name))
  }

  async *logs(name: string, opts: LogOptions = {}): AsyncGenerator<LogLine> {
    await this.usable()
    const info = isValidName(name) ? await this.inspect(name) : undefined
    if (!info) throw moduleErrors.notFound(name)
    yield* readLogs({
      docker: this.docker, containerId: info.Id, tty: Boolean(info.Config.Tty),
      // Follow: the container exists while it is ours and the runtime is open; wake up when it (re)starts.
      exists: async () => !this.closed.signal.aborted && (await this.inspectId(info.Id)) !== undefined,
      started: (signal) => this.waitForEvent(name, signal),
      closed: this.closed.signal,
      uri: this.uri,
    }, opts)
  }

  onEvent(listener: (e: ModuleEvent) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  /**
   * One image clean-up pass (see images.ts), with `minAgeMs` from the options (default 7 days) unless given.
   * Returns the ids of the images removed and kept.
   */
  async collectImages(o: { minAgeMs?: number } = {}): Promise<{ removed: string[]; kept: string[] }> {
    await this.usable()
    const gc = this.options.imageGc || {}
    const minAgeMs = o.minAgeMs ?? gc.minAgeMs ?? DEFAULT_IMAGE_GC.minAgeMs
    return this.call('cleaning up images', () => collectImages(this.docker, this.state, this.runtimeLabel, { minAgeMs, clock: this.clock, log: this.log }))
  }

  /**
   * Releases the runtime: the event stream, the clean-up timer, log followers. Containers keep running (the engine
   * runs them, as it does for Azure's edgelet): a reopened runtime adopts them. The daemon stops modules itself
   * before it closes the runtime on shutdown.
   */
  async close(): Promise<void> {
    if (this.closed.signal.aborted) return
    this.closed.abort()
    if (this.gcTimer) clearInterval(this.gcTimer)
    await this.events.stop()
    await Promise.allSettled([...this.queues.values()])
    this.log.info({ event: 'runtime.closed' }, 'docker runtime closed')
  }

  private containerName(name: string): string {
    return `${this.prefix}${name}`
  }

  private toState(info: ContainerInspectInfo): ModuleState {
    return toModuleState(info, configOf(info)!, this.state.data.stoppedOnRequest[info.Id])
  }

  private async startNow(name: string, info: ContainerInspectInfo): Promise<void> {
    if (info.State.Running) return
    const container = this.docker.getContainer(info.Id)
    try {
      await container.start()
    } catch (err) {
      if (statusOf(err) === 304) return
      // The engine could not run the process (no such executable, bad mount): the container keeps the error.
      const message = engineMessage(err)
      this.log.warn({ event: 'module.start_failed', moduleId: name, why: message }, 'module could not be started')
      if (statusOf(err) === 400 || statusOf(err) === 500) {
        this.emit({ name, status: 'failed', exitCode: (await this.inspectId(info.Id))?.State.ExitCode ?? 127 })
        throw moduleErrors.invalid(name, [{ setting: 'settings', problem: `could not be started by the Docker engine: ${message}` }])
      }
      throw toAppError(err, `starting '${name}'`, this.uri, name)
    }
    this.log.info({ event: 'module.started', moduleId: name }, 'module started')
  }

  /** Sends the stop signal, waits `graceMs` for the container to exit, then kills it (Docker's stop, to the ms). */
  private async stopNow(name: string, info: ContainerInspectInfo, graceMs?: number): Promise<void> {
    if (!info.State.Running) return
    const grace = graceMs ?? graceMsOf(configOf(info)!)
    const container = this.docker.getContainer(info.Id)
    this.log.info({ event: 'module.stopping', moduleId: name, graceMs: grace }, 'stopping module')
    this.state.data.stoppedOnRequest[info.Id] = info.State.StartedAt
    this.events.expectStop(info.Id)
    await this.state.save()
    const exited = container.wait({ condition: 'not-running' }).catch(() => undefined)
    const kill = async (signal: string) => {
      try {
        await container.kill({ signal })
      } catch (err) {
        // 409: it is no longer running (exited meanwhile), which is what we want.
        if (statusOf(err) !== 409 && statusOf(err) !== 404) throw toAppError(err, `stopping '${name}'`, this.uri, name)
      }
    }
    await kill((info.Config as { StopSignal?: string }).StopSignal || 'SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), grace)))])
    clearTimeout(timer)
    if (!inTime) {
      this.log.warn({ event: 'module.killed', moduleId: name, graceMs: grace }, 'module did not stop within its grace: killing it')
      await kill('SIGKILL')
      await exited
    }
    // `wait` can answer before the engine has recorded the exit: make sure a `get` now sees it stopped.
    for (let i = 0; i < 100 && (await this.inspectId(info.Id))?.State.Running; i++) await new Promise((r) => setTimeout(r, 20))
  }

  private async ensureNetwork(network: string): Promise<void> {
    if (BUILTIN_NETWORKS.has(network) || network.startsWith('container:')) return
    let ready = this.networksReady.get(network)
    if (!ready) {
      ready = (async () => {
        const found = await this.docker.listNetworks({ filters: { name: [network] } })
        if (found.some((n) => n.Name === network)) return
        try {
          await this.docker.createNetwork({ Name: network, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABELS.owner]: 'Microsoft.Azure.Devices.Edge.Agent' } })
          this.log.info({ event: 'network.created', network }, 'network created')
        } catch (err) {
          if (statusOf(err) !== 409) throw toAppError(err, `creating the network '${network}'`, this.uri)
        }
      })()
      this.networksReady.set(network, ready)
      ready.catch(() => this.networksReady.delete(network))
    }
    await ready
  }

  /** The container of module `name`, if it exists and is this runtime's. */
  private async inspect(name: string): Promise<ContainerInspectInfo | undefined> {
    const info = await this.inspectId(this.containerName(name))
    return info && info.Config.Labels?.[LABELS.runtimeId] === this.runtimeId && configOf(info) ? info : undefined
  }

  private async inspectId(id: string): Promise<ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect()
    } catch (err) {
      if (statusOf(err) === 404) return undefined
      throw toAppError(err, 'inspecting a container', this.uri)
    }
  }

  /** Runs `fn` on module `name` after the operations already queued on it; ERR_MODULE_NOT_FOUND if it does not exist. */
  private async exclusive(name: string, fn: (info: ContainerInspectInfo) => Promise<void>): Promise<void> {
    await this.usable()
    if (!isValidName(name)) throw moduleErrors.notFound(name)
    await this.serialised(name, async () => {
      const info = await this.inspect(name)
      if (!info) throw moduleErrors.notFound(name)
      await fn(info)
    })
  }

  private serialised<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const result = (this.queues.get(name) ?? Promise.resolve()).then(fn)
    const settled = result.catch(() => {})
    this.queues.set(name, settled)
    void settled.then(() => this.queues.get(name) === settled && this.queues.delete(name))
    return result.catch((err: unknown) => {
      throw toAppError(err, `module '${name}'`, this.uri, name)
    })
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw toAppError(err, what, this.uri)
    }
  }

  private async usable(): Promise<void> {
    if (this.closed.signal.aborted) throw dockerErrors.closed()
    try {
      await this.ready
    } catch (err) {
      throw isConnectionError(err) ? dockerErrors.unreachable(this.uri, err) : toAppError(err, 'opening the docker runtime', this.uri)
    }
  }

  /** Resolves when module `name` has an event (a start), or `signal` aborts; at most a second later regardless. */
  private waitForEvent(name: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.internal.off(name, done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, 1000)
      this.internal.on(name, done)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  private emit(e: ModuleEvent): void {
    this.internal.emit(e.name)
    for (const listener of this.listeners) {
      try {
        listener(e)
      } catch (err) {
        this.log.warn({ err, event: 'listener.failed' }, 'a module event listener threw')
      }
    }
  }
}
