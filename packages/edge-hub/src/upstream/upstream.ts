/**
 * The cloud side of the edge hub: one MQTT connection to the hub per client identity (iotedge `CloudProxy`), opened
 * on demand, each authenticated as that identity (see cloud-connection.ts). It is the broker's `CloudLink`.
 *
 * ```ts
 * const upstream = new Upstream({ hubHostname, gateway, ca, tokenFor: scopeTokenSource({ … }) })
 * await upstream.sendTelemetry({ deviceId: 'cam', moduleId: 'detector' }, messages)   // → [true, true, false]
 * upstream.onStatus((online) => metrics.set(online))
 * ```
 *
 * - Target: `gateway ?? hubHostname`, MQTT over TLS on 8883 or the gateway's `host:port`; with `transport: 'auto'`
 *   (default), after `fallbackAfter` failed attempts in a row (any identity) it tries MQTT over WebSockets
 *   (`wss://host:443/$iothub/websocket`), and back, until one connects; the one that worked is kept.
 * - Status: `online` once a connection is up; `offline` when an attempt fails for network reasons, or a connection
 *   drops, while no other connection is up. A refused CONNACK (bad or revoked credentials) says nothing about the
 *   link and does not change it.
 * - Telemetry fails fast while an identity's connection is down (the store retries), and waits for an attempt in
 *   progress (the first connection, a token renewal). When the link comes back (a first connection is up), the
 *   connections waiting out a back-off try at once.
 */
import { silentLogger, systemClock, type BackoffOptions, type Clock, type Logger } from '@ledge/common'
import type { Message } from '@ledge/protocol'
import { identityKey, type ClientIdentity } from '../identity.js'
import type { CloudLink, MethodCall, MethodResult } from '../ports.js'
import { CloudConnection, type ConnectionEnv } from './cloud-connection.js'
import type { CloudMethodCall, ConnectionEvent, TelemetryResult, Transport, TwinDocument, UpstreamOptions } from './types.js'

export const DEFAULT_MQTTS_PORT = 8883
export const DEFAULT_WEBSOCKET_PORT = 443
const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000, jitter: 0.5 }

export type UpstreamStatus = 'online' | 'offline'

export class Upstream implements CloudLink {
  private readonly connections = new Map<string, CloudConnection>()
  private readonly env: ConnectionEnv
  private readonly up = new Set<string>()
  private currentStatus: UpstreamStatus = 'offline'
  private readonly statusListeners = new Set<(online: boolean) => void>()
  private readonly connectionListeners = new Set<(e: ConnectionEvent) => void>()
  private transport: Transport
  private transportFailures = 0
  private closed = false
  private readonly log: Logger

  constructor(private readonly o: UpstreamOptions) {
    const clock: Clock = o.clock ?? systemClock
    this.log = o.logger ?? silentLogger()
    const target = o.gateway ?? o.hubHostname
    const m = /^(.*?)(?::(\d+))?$/.exec(target)!
    this.transport = o.transport === 'wss' ? 'wss' : 'mqtts'
    this.env = {
      hubHostname: o.hubHostname,
      host: m[1]!,
      mqttPort: m[2] ? Number(m[2]) : DEFAULT_MQTTS_PORT,
      websocketPort: o.websocketPort ?? DEFAULT_WEBSOCKET_PORT,
      ...(o.ca ? { ca: o.ca } : {}),
      tokenFor: o.tokenFor,
      transport: () => this.transport,
      attempted: (t, outcome) => this.attempted(t, outcome),
      changed: (e) => this.changed(e),
      backoff: o.backoff ?? DEFAULT_BACKOFF,
      connectTimeoutMs: o.connectTimeoutMs ?? 20_000,
      operationTimeoutMs: o.operationTimeoutMs ?? 20_000,
      keepaliveSeconds: o.keepaliveSeconds ?? 60,
      renewAt: o.renewAt ?? 0.75,
      clock,
      log: this.log,
    }
  }

  get status(): UpstreamStatus {
    return this.currentStatus
  }

  get online(): boolean {
    return this.currentStatus === 'online'
  }

  /** The transport new connections use now. */
  get activeTransport(): Transport {
    return this.transport
  }

  /** Identities with a connection (open, opening or waiting to retry). */
  identities(): ClientIdentity[] {
    return [...this.connections.values()].map((c) => c.identity)
  }

  /** Called with `true`/`false` whenever the link goes online/offline. */
  onStatus(listener: (online: boolean) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  /** Every connection's state change (connected, disconnected, refused), for logs and metrics. */
  onConnection(listener: (e: ConnectionEvent) => void): () => void {
    this.connectionListeners.add(listener)
    return () => this.connectionListeners.delete(listener)
  }

  private connection(identity: ClientIdentity): CloudConnection {
    if (this.closed) throw new Error('the upstream link is closed')
    const key = identityKey(identity.deviceId, identity.moduleId)
    let c = this.connections.get(key)
    if (!c) {
      c = new CloudConnection(identity.moduleId ? { deviceId: identity.deviceId, moduleId: identity.moduleId } : { deviceId: identity.deviceId }, this.env)
      this.connections.set(key, c)
    }
    return c
  }

  private attempted(t: Transport, outcome: 'connected' | 'network' | 'refused'): void {
    if (outcome === 'connected') {
      this.transport = t
      this.transportFailures = 0
      return
    }
    if (outcome !== 'network') return
    if (this.up.size === 0) this.setStatus('offline')
    if (this.o.transport === 'mqtts' || this.o.transport === 'wss' || t !== this.transport) return
    if (++this.transportFailures >= (this.o.fallbackAfter ?? 3)) {
      this.transport = t === 'mqtts' ? 'wss' : 'mqtts'
      this.transportFailures = 0
      this.log.warn({ event: 'upstream.transport_fallback', from: t, to: this.transport }, `cannot reach the hub over ${t}: trying ${this.transport}`)
    }
  }

  private changed(e: ConnectionEvent): void {
    const key = identityKey(e.identity.deviceId, e.identity.moduleId)
    if (e.state === 'connected') {
      this.up.add(key)
      // The link is back: the other identities' connections try now rather than finish their back-offs (sends on
      // them fail fast while they wait, and the backlog of those senders would wait with them). Before the status
      // listeners run, so that the $upstream executor they wake finds them connecting.
      if (this.currentStatus === 'offline') for (const c of this.connections.values()) c.retryNow()
      this.setStatus('online')
    } else if (e.state === 'disconnected') {
      this.up.delete(key)
      if (this.up.size === 0 && !this.closed) this.setStatus('offline')
    }
    for (const l of this.connectionListeners) {
      try {
        l(e)
      } catch (err) {
        this.log.warn({ event: 'upstream.listener_failed', err }, 'connection listener threw')
      }
    }
  }

  private setStatus(s: UpstreamStatus): void {
    if (s === this.currentStatus) return
    this.currentStatus = s
    this.log.info({ event: s === 'online' ? 'upstream.online' : 'upstream.offline' }, `the link to the hub is ${s}`)
    for (const l of this.statusListeners) {
      try {
        l(s === 'online')
      } catch (err) {
        this.log.warn({ event: 'upstream.listener_failed', err }, 'status listener threw')
      }
    }
  }

  /** Sends in order at QoS 1 as `identity`; each entry says whether that message was PUBACKed. */
  async sendTelemetry(identity: ClientIdentity, messages: readonly Message[]): Promise<boolean[]> {
    return (await this.sendTelemetryResults(identity, messages)).map((r) => r === 'sent')
  }

  /** {@link sendTelemetry} with the reason of each failure (see {@link TelemetryResult}). */
  sendTelemetryResults(identity: ClientIdentity, messages: readonly Message[]): Promise<TelemetryResult[]> {
    if (messages.length === 0) return Promise.resolve([])
    return this.connection(identity).sendTelemetry(messages)
  }

  getTwin(identity: ClientIdentity): Promise<TwinDocument> {
    return this.connection(identity).getTwin()
  }

  /** Resolves with the reported properties' new version. */
  patchReported(identity: ClientIdentity, patch: Record<string, unknown>): Promise<number> {
    return this.connection(identity).patchReported(patch)
  }

  /** Subscribes `identity`'s cloud connection to desired property patches (connecting it if needed). */
  onDesired(identity: ClientIdentity, listener: (patch: Record<string, unknown>) => void): () => void {
    const c = this.connection(identity)
    c.desiredListeners.add(listener)
    this.wake(c)
    return () => {
      c.desiredListeners.delete(listener)
      void c.syncSubscriptions()
    }
  }

  /**
   * Direct methods the cloud invokes on `identity` (one handler per identity; a new one replaces the old). A handler
   * that throws answers 500.
   */
  onMethod(identity: ClientIdentity, handler: (call: MethodCall & { rid?: string }) => Promise<MethodResult>): () => void {
    const c = this.connection(identity)
    const h = (call: CloudMethodCall): Promise<MethodResult> => handler(call)
    c.methodHandler = h
    this.wake(c)
    return () => {
      if (c.methodHandler !== h) return
      c.methodHandler = undefined
      void c.syncSubscriptions()
    }
  }

  /** C2D messages of a leaf device; each is acknowledged to the hub only when `complete()` is called. */
  onC2d(identity: ClientIdentity, listener: (message: Message, complete: () => void) => void): () => void {
    const c = this.connection(identity)
    c.c2dListener = listener
    this.wake(c)
    return () => {
      if (c.c2dListener !== listener) return
      c.c2dListener = undefined
      void c.syncSubscriptions()
    }
  }

  private wake(c: CloudConnection): void {
    c.open()
    void c.syncSubscriptions()
  }

  /** Closes `identity`'s cloud connection (its client left); its listeners go with it. */
  async release(identity: ClientIdentity): Promise<void> {
    const key = identityKey(identity.deviceId, identity.moduleId)
    const c = this.connections.get(key)
    if (!c) return
    this.connections.delete(key)
    await c.close()
    this.up.delete(key)
  }

  async close(): Promise<void> {
    this.closed = true
    const all = [...this.connections.values()]
    this.connections.clear()
    await Promise.all(all.map((c) => c.close()))
  }
}
