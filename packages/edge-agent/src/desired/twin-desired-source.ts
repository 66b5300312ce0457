/**
 * The `$edgeAgent` module twin through the UNMODIFIED Azure IoT device SDK (`ModuleClient.fromEnvironment(Mqtt)`,
 * reference azure-sdk-wire.md §6): the deployment is its desired properties, read whole at connect, again on every
 * desired-properties notification (the SDK's lodash merge of patches mangles arrays, so patches only wake us), and
 * every `refreshMs` (Azure's ConfigRefreshFrequencySecs). The same connection carries the reported properties and
 * the agent's direct methods.
 */
import { createRequire } from 'node:module'
import type { Logger } from '@ledge/common'
import { backoffDelay } from '@ledge/common'
import { errors } from '../errors.js'
import type { ReportedPropertiesSink } from '../reporter.js'
import type { DesiredDocument, DesiredSource } from './desired-source.js'

export type ModuleClient = import('azure-iot-device').ModuleClient
type Twin = import('azure-iot-device').Twin

const require = createRequire(import.meta.url)

/** The SDK's own `fromEnvironment`: `EdgeHubConnectionString`, else the `IOTEDGE_*` variables and the workload API. */
export async function moduleClientFromEnvironment(): Promise<ModuleClient> {
  const { ModuleClient } = require('azure-iot-device') as typeof import('azure-iot-device')
  const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')
  return ModuleClient.fromEnvironment(Mqtt)
}

export interface MethodResult {
  status: number
  payload: unknown
}
export type MethodHandler = (payload: unknown) => Promise<MethodResult>

export interface TwinDesiredSourceOptions {
  /** Makes the (unopened) client; {@link moduleClientFromEnvironment} in production. */
  connect: () => Promise<ModuleClient>
  log: Logger
  /** Full re-read period (default 1 hour). */
  refreshMs?: number
  /** Extra client options (`ca` in tests). */
  clientOptions?: Record<string, unknown>
}

export class TwinDesiredSource implements DesiredSource, ReportedPropertiesSink {
  private client: ModuleClient | undefined
  private twin: Twin | undefined
  private doc: DesiredDocument | undefined
  private readonly listeners = new Set<() => void>()
  private readonly methods = new Map<string, MethodHandler>()
  private refreshTimer: NodeJS.Timeout | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private refreshing: Promise<void> | undefined
  private closed = false
  private attempts = 0
  private firstConnect: Promise<void> | undefined

  constructor(private readonly o: TwinDesiredSourceOptions) {}

  /** Connects in the background, retrying with back-off; resolves after the first attempt (success or not). */
  start(): Promise<void> {
    this.firstConnect ??= this.connectOnce()
    return this.firstConnect
  }

  get connected(): boolean {
    return this.twin !== undefined
  }

  private async connectOnce(): Promise<void> {
    if (this.closed) return
    let client: ModuleClient | undefined
    try {
      client = await this.o.connect()
      if (this.o.clientOptions) await client.setOptions(this.o.clientOptions)
      client.on('error', (err: Error) => this.o.log.warn({ event: 'twin.error', err }, 'module client error'))
      await client.open()
      for (const [name, handler] of this.methods) this.registerMethod(client, name, handler)
      const c = client
      const twin = await client.getTwin()
      this.client = c
      this.twin = twin
      this.attempts = 0
      this.capture(twin)
      twin.on('properties.desired', (delta: { $version?: number }) => {
        // A patch (or our own re-read echoing the whole document): re-read unless we have that version already.
        if (typeof delta?.$version === 'number' && this.doc?.version !== undefined && delta.$version <= this.doc.version) return
        void this.refresh()
      })
      // A patch sent between the read and the subscription would be missed: read once more now that we listen.
      void this.refresh()
      this.refreshTimer = setInterval(() => void this.refresh(), this.o.refreshMs ?? 3_600_000)
      this.refreshTimer.unref()
      this.o.log.info({ event: 'twin.connected', version: this.doc?.version }, 'connected to the hub as $edgeAgent')
    } catch (err) {
      await client?.close().catch(() => undefined)
      const delay = backoffDelay(this.attempts++, { initialMs: 1_000, maxMs: 60_000 })
      this.o.log.warn({ event: 'twin.connect-failed', err, retryInMs: delay }, 'cannot reach the hub; retrying')
      if (!this.closed) {
        this.retryTimer = setTimeout(() => void this.connectOnce(), delay)
        this.retryTimer.unref()
      }
    }
  }

  private capture(twin: Twin): void {
    const desired = structuredClone(twin.properties.desired) as Record<string, unknown>
    const version = typeof desired.$version === 'number' ? desired.$version : undefined
    const changed = this.doc?.version !== version || this.doc === undefined
    this.doc = { version, desired, source: 'twin' }
    if (changed) for (const l of this.listeners) l()
  }

  /** Reads the whole twin again (coalesced). */
  refresh(): Promise<void> {
    const twin = this.twin
    if (!twin) return Promise.resolve()
    this.refreshing ??= twin
      .get()
      .then((t) => this.capture(t))
      .catch((err: unknown) => this.o.log.warn({ event: 'twin.refresh-failed', err }, 'cannot read the twin'))
      .finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  async get(): Promise<DesiredDocument> {
    if (!this.doc) throw errors.desiredUnavailable('not connected to the hub yet')
    return this.doc
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async reported(): Promise<Record<string, unknown> | undefined> {
    if (!this.twin) return undefined
    const { update: _update, ...reported } = this.twin.properties.reported as Record<string, unknown>
    return reported
  }

  async update(patch: Record<string, unknown>): Promise<void> {
    const twin = this.twin
    if (!twin) throw errors.desiredUnavailable('not connected to the hub')
    await new Promise<void>((resolve, reject) => twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())))
  }

  /** A direct method of `$edgeAgent`; registered now or when the client connects. */
  onMethod(name: string, handler: MethodHandler): void {
    this.methods.set(name, handler)
    if (this.client) this.registerMethod(this.client, name, handler)
  }

  private registerMethod(client: ModuleClient, name: string, handler: MethodHandler): void {
    client.onMethod(name, (req, res) => {
      if (!req || !res) return
      handler(req.payload)
        .catch((err: unknown) => ({ status: 500, payload: { message: (err as Error).message ?? String(err) } }))
        .then((r) => res.send(r.status, r.payload, (err?: Error) => err && this.o.log.warn({ event: 'method.reply-failed', method: name, err }, 'cannot reply to a method')))
    })
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.refreshTimer)
    clearTimeout(this.retryTimer)
    await this.client?.close().catch(() => undefined)
    this.client = undefined
    this.twin = undefined
  }
}
