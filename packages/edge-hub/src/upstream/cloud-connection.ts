/**
 * One client identity's MQTT connection to the hub (iotedge `CloudProxy`), as the Azure device SDK makes it: clientId
 * `d[/m]`, username `{hub}/d[/m]/?api-version=2021-04-12`, a SAS token as password, clean=false.
 *
 * States: `idle` → `connecting` → `connected`; a failed attempt or a dropped connection goes to `waiting` (jittered
 * exponential back-off) and tries again, until `close()`. Operations wait for a connection attempt in progress (the
 * first one, or a token renewal) but fail fast while the connection is down and waiting: the caller's store retries.
 *
 * The token is renewed after `renewAt` of its lifetime by reconnecting with a new one (the SDK does the same): the
 * telemetry in flight is PUBACKed first; the hub keeps the session's subscriptions (clean=false), and they are
 * SUBSCRIBEd again anyway after every CONNACK.
 *
 * C2D: the PUBACK that completes a cloud message must wait for the leaf's own PUBACK, but mqtt.js acknowledges inside
 * its packet pipeline and reads no further packet until it has (a C2D message waiting for a leaf would stall twin
 * responses and telemetry PUBACKs). So `customHandleAcks` (set on the client: mqtt.js reads the option only for
 * MQTT 5, but calls it for 3.1.1 too) defers C2D messages (mqtt.js goes on without a PUBACK:
 * its `failCustomAck` path, whose 'error' event is ignored here), and `complete()` writes the PUBACK itself later, on
 * the same connection. A message not completed before the connection drops is delivered again by the hub.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import { generate, type IPublishPacket } from 'mqtt-packet'
import { backoffDelay, type Clock, type Logger } from '@ledge/common'
import { API_VERSION, parsePropertyBag, parseSasToken, parseTopicQuery, type Message } from '@ledge/protocol'
import { describeIdentity, identityKey, type ClientIdentity } from '../identity.js'
import { telemetryTopic, tooLargeForHub } from './telemetry.js'
import { errors, type CloudMethodCall, type CloudMethodResult, type ConnectionEvent, type TelemetryResult, type Transport, type TwinDocument } from './types.js'

export const CLIENT_TYPE = 'ledge-edge-hub/0.1.0'

/** What a connection needs from its Upstream. */
export interface ConnectionEnv {
  hubHostname: string
  host: string
  mqttPort: number
  websocketPort: number
  ca?: string | Buffer
  tokenFor(identity: ClientIdentity): Promise<string>
  /** The transport for the next attempt. */
  transport(): Transport
  /** Every attempt's outcome (drives the WebSocket fallback and the online status). */
  attempted(transport: Transport, outcome: 'connected' | 'network' | 'refused'): void
  changed(event: ConnectionEvent): void
  backoff: { initialMs: number; maxMs: number; jitter?: number }
  connectTimeoutMs: number
  operationTimeoutMs: number
  keepaliveSeconds: number
  renewAt: number
  clock: Clock
  log: Logger
}

type State = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed'

/** Passed to mqtt.js's ack callback to go on without a PUBACK (see the file header). */
const DEFERRED_ACK = new Error('C2D acknowledgement deferred until the leaf device completes it')
const TWIN_RESPONSES = '$iothub/twin/res/#'
const DESIRED = '$iothub/twin/PATCH/properties/desired/#'
const METHODS = '$iothub/methods/POST/#'

interface InFlight {
  client: MqttClient
  settle(result: TelemetryResult): void
}

interface TwinWaiter {
  client: MqttClient
  resolve(r: { status: number; version?: number; body: Buffer }): void
  reject(err: Error): void
}

export class CloudConnection {
  private state: State = 'idle'
  private client: MqttClient | undefined
  private connecting: Promise<void> | undefined
  private failures = 0
  private retryTimer: { cancel(): void } | undefined
  private renewTimer: { cancel(): void } | undefined
  private lastError = 'not connected yet'
  private readonly subscribed = new Set<string>()
  private syncing: Promise<void> = Promise.resolve()
  private readonly inflight = new Set<InFlight>()
  private readonly twinWaiters = new Map<string, TwinWaiter>()
  private nextRid = 1
  private readonly ridPrefix = Math.random().toString(36).slice(2, 8)
  private wantTwinResponses = false
  readonly desiredListeners = new Set<(patch: Record<string, unknown>) => void>()
  methodHandler: ((call: CloudMethodCall) => Promise<CloudMethodResult>) | undefined
  c2dListener: ((message: Message, complete: () => void) => void) | undefined
  private readonly who: string

  constructor(readonly identity: ClientIdentity, private readonly env: ConnectionEnv) {
    this.who = describeIdentity(identity)
  }

  get connected(): boolean {
    return this.state === 'connected'
  }

  /** Starts connecting if nothing is under way (on demand). */
  open(): void {
    if (this.state === 'idle') this.connectNow()
  }

  /** Another identity just connected, so the hub is reachable: stop waiting out the back-off and try now. */
  retryNow(): void {
    if (this.state === 'waiting') this.connectNow()
  }

  /** The connected client: waits for an attempt in progress; fails fast when down and waiting, or released. */
  private async ready(): Promise<MqttClient> {
    if (this.state === 'closed') throw errors.closed(this.who)
    if (this.state === 'idle') this.connectNow()
    if (this.state === 'connecting') await this.connecting
    if (this.state === 'connected' && this.client) return this.client
    if ((this.state as State) === 'closed') throw errors.closed(this.who)
    throw errors.offline(this.who, this.lastError)
  }

  private connectNow(): void {
    this.retryTimer?.cancel()
    this.retryTimer = undefined
    this.state = 'connecting'
    this.connecting = this.attempt().finally(() => (this.connecting = undefined))
  }

  private url(transport: Transport): string {
    return transport === 'mqtts' ? `mqtts://${this.env.host}:${this.env.mqttPort}` : `wss://${this.env.host}:${this.env.websocketPort}/$iothub/websocket`
  }

  private async attempt(): Promise<void> {
    const transport = this.env.transport()
    let token: string
    try {
      token = await this.env.tokenFor(this.identity)
    } catch (err) {
      return this.failed(transport, 'refused', `no token: ${(err as Error).message}`)
    }
    if (this.state !== 'connecting') return
    const { deviceId, moduleId } = this.identity
    let client: MqttClient | undefined
    const options: IClientOptions = {
      protocolVersion: 4,
      clientId: identityKey(deviceId, moduleId),
      username: `${this.env.hubHostname}/${deviceId}${moduleId ? `/${moduleId}` : ''}/?api-version=${API_VERSION}&DeviceClientType=${encodeURIComponent(CLIENT_TYPE)}`,
      password: token,
      clean: false,
      keepalive: this.env.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: this.env.connectTimeoutMs,
      rejectUnauthorized: true,
      // No cache of 65,536 number Buffers in mqtt-packet (6 MB of heap; see @ledge/mqtt-server's connection.ts).
      writeCache: false,
      ...(this.env.ca ? { ca: this.env.ca } : {}),
    }
    client = connect(this.url(transport), options)
    // mqtt.js leaves Nagle on: the tail of a batch of PUBLISHes would wait for the hub's delayed ACK (40 ms).
    ;(client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true)
    // mqtt.js takes `customHandleAcks` from the options only for MQTT 5, but its PUBLISH handler calls
    // `client.options.customHandleAcks` whatever the version: set it on the client (before any packet can arrive).
    client.options.customHandleAcks = (topic, message, packet, done) => this.onQos1(client!, topic, message, packet, done)
    // mqtt.js turns socket errors (ECONNREFUSED, …) into a bare 'close': keep the cause for the log.
    let socketError: string | undefined
    client.stream?.once('error', (err: Error) => (socketError = err.message))
    // Listeners before CONNACK: with a persisted session the hub may publish right behind it.
    const c = client
    c.on('message', (topic, payload, packet) => this.onMessage(c, topic, payload, packet))
    c.on('error', (err) => {
      if (err !== DEFERRED_ACK) this.env.log.debug({ event: 'upstream.client_error', identity: this.who, err }, 'cloud connection error')
    })
    const outcome = await new Promise<{ ok: true } | { ok: false; refused: boolean; reason: string }>((resolve) => {
      const settle = (r: { ok: true } | { ok: false; refused: boolean; reason: string }): void => {
        client!.off('connect', onConnect).off('error', onError).off('close', onClose)
        resolve(r)
      }
      const onConnect = (): void => settle({ ok: true })
      const onError = (err: Error & { code?: number | string }): void => {
        if (err !== DEFERRED_ACK) settle({ ok: false, refused: typeof err.code === 'number' && err.code >= 1 && err.code <= 5, reason: err.message })
      }
      const onClose = (): void => settle({ ok: false, refused: false, reason: socketError ?? 'connection closed before CONNACK' })
      client!.on('connect', onConnect).on('error', onError).on('close', onClose)
    })
    if (!outcome.ok) {
      client.end(true)
      return this.failed(transport, outcome.refused ? 'refused' : 'network', outcome.reason)
    }
    if (this.state !== 'connecting') {
      client.end(true)
      return
    }
    this.client = client
    this.state = 'connected'
    this.failures = 0
    this.subscribed.clear()
    client.on('close', () => this.dropped(client, 'connection closed'))
    this.env.attempted(transport, 'connected')
    this.env.changed({ identity: this.identity, state: 'connected', transport })
    this.env.log.info({ event: 'upstream.connected', identity: this.who, transport }, `${this.who} connected to the hub over ${transport}`)
    this.scheduleRenewal(token)
    void this.syncSubscriptions(client)
  }

  private failed(transport: Transport, kind: 'network' | 'refused', reason: string): void {
    this.lastError = reason
    this.env.attempted(transport, kind)
    if (kind === 'refused') this.env.changed({ identity: this.identity, state: 'refused', transport, reason })
    if (this.state === 'closed') return
    const delay = backoffDelay(this.failures++, this.env.backoff)
    this.env.log[this.failures > 3 ? 'warn' : 'info']({ event: 'upstream.connect_failed', identity: this.who, transport, reason, retryInMs: delay }, `${this.who} could not connect to the hub: ${reason}`)
    this.state = 'waiting'
    this.retryTimer = this.env.clock.setTimeout(() => {
      if (this.state === 'waiting') this.connectNow()
    }, delay)
  }

  /** The connection closed: what was in flight failed; reconnect after a back-off. */
  private dropped(client: MqttClient, reason: string): void {
    this.settleClient(client, reason)
    if (client !== this.client) return
    this.client = undefined
    this.renewTimer?.cancel()
    this.lastError = reason
    this.env.changed({ identity: this.identity, state: 'disconnected', transport: this.env.transport(), reason })
    if (this.state === 'closed') return
    this.env.log.info({ event: 'upstream.disconnected', identity: this.who, reason }, `${this.who} lost its connection to the hub`)
    this.failed(this.env.transport(), 'network', reason)
  }

  /** Fails the operations that were waiting on `client`. */
  private settleClient(client: MqttClient, reason: string): void {
    for (const f of [...this.inflight]) if (f.client === client) f.settle('dropped')
    for (const [rid, w] of [...this.twinWaiters]) {
      if (w.client !== client) continue
      this.twinWaiters.delete(rid)
      w.reject(errors.offline(this.who, reason))
    }
  }

  private scheduleRenewal(token: string): void {
    this.renewTimer?.cancel()
    let se: number
    try {
      se = parseSasToken(token).se
    } catch {
      return // not a SAS token we can read: never renewed
    }
    const lifetime = se * 1000 - this.env.clock.now()
    const delay = Math.max(1000, Math.floor(lifetime * this.env.renewAt))
    this.renewTimer = this.env.clock.setTimeout(() => void this.renew(), delay)
  }

  /** Reconnects with a new token, after the telemetry in flight is acknowledged. */
  private async renew(): Promise<void> {
    const old = this.client
    if (this.state !== 'connected' || !old) return
    this.env.log.info({ event: 'upstream.token_renewal', identity: this.who }, `renewing the SAS token of ${this.who}`)
    this.state = 'connecting'
    this.client = undefined
    this.connecting = (async () => {
      const until = this.env.clock.now() + this.env.operationTimeoutMs
      while ([...this.inflight].some((f) => f.client === old) && this.env.clock.now() < until) await new Promise((r) => setTimeout(r, 20))
      await new Promise<void>((r) => old.end(false, {}, () => r()))
      this.settleClient(old, 'token renewal')
      if (this.state === 'connecting') await this.attempt()
    })().finally(() => (this.connecting = undefined))
    await this.connecting
  }

  /**
   * SUBSCRIBEs what the listeners need and UNSUBSCRIBEs what they no longer do. Calls run one after the other: two
   * interleaved ones would each compute "wanted" before the other's change, and the older would undo the newer.
   */
  syncSubscriptions(client: MqttClient | undefined = this.client): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncSubscriptionsNow(client))
    return this.syncing
  }

  private async syncSubscriptionsNow(client: MqttClient | undefined): Promise<void> {
    if (!client || client !== this.client) return
    const wanted = new Map<string, 0 | 1>()
    if (this.wantTwinResponses) wanted.set(TWIN_RESPONSES, 0)
    if (this.desiredListeners.size) wanted.set(DESIRED, 0)
    if (this.methodHandler) wanted.set(METHODS, 0)
    if (this.c2dListener && !this.identity.moduleId) wanted.set(`devices/${this.identity.deviceId}/messages/devicebound/#`, 1)
    try {
      const add = [...wanted].filter(([t]) => !this.subscribed.has(t))
      if (add.length) {
        for (const [t] of add) this.subscribed.add(t)
        await client.subscribeAsync(Object.fromEntries(add.map(([t, qos]) => [t, { qos }])))
      }
      const remove = [...this.subscribed].filter((t) => !wanted.has(t))
      if (remove.length) {
        for (const t of remove) this.subscribed.delete(t)
        await client.unsubscribeAsync(remove)
      }
    } catch (err) {
      this.env.log.warn({ event: 'upstream.subscribe_failed', identity: this.who, err }, 'cloud subscription failed; retried on the next connection')
    }
  }

  /** Publishes in order at QoS 1; resolves with each message's fate once all are settled. */
  async sendTelemetry(messages: readonly Message[]): Promise<TelemetryResult[]> {
    const results: TelemetryResult[] = messages.map(() => 'offline')
    let client: MqttClient
    try {
      client = await this.ready()
    } catch {
      return results
    }
    await Promise.all(messages.map((m, i) => {
      if (tooLargeForHub(this.identity, m)) {
        results[i] = 'too_large'
        return undefined
      }
      return new Promise<void>((resolve) => {
        let timer: { cancel(): void } | undefined
        const entry: InFlight = {
          client,
          settle: (r) => {
            if (!this.inflight.delete(entry)) return
            timer?.cancel()
            results[i] = r
            resolve()
          },
        }
        this.inflight.add(entry)
        timer = this.env.clock.setTimeout(() => entry.settle('timeout'), this.env.operationTimeoutMs)
        client.publish(telemetryTopic(this.identity, m), m.body, { qos: 1 }, (err) => entry.settle(err ? 'dropped' : 'sent'))
      })
    }))
    return results
  }

  /** A twin request (`$iothub/twin/GET/` or `…/PATCH/properties/reported/`) and its response. */
  private async twinRequest(path: string, body: string | Buffer): Promise<{ status: number; version?: number; body: Buffer }> {
    const client = await this.ready()
    if (!this.wantTwinResponses) {
      this.wantTwinResponses = true
      await this.syncSubscriptions(client)
    } else if (!this.subscribed.has(TWIN_RESPONSES)) {
      await this.syncSubscriptions(client)
    }
    const rid = `${this.ridPrefix}${this.nextRid++}`
    return new Promise((resolve, reject) => {
      const timer = this.env.clock.setTimeout(() => {
        if (this.twinWaiters.delete(rid)) reject(errors.timeout(`twin request of ${this.who}`, this.env.operationTimeoutMs))
      }, this.env.operationTimeoutMs)
      this.twinWaiters.set(rid, {
        client,
        resolve: (r) => (timer.cancel(), resolve(r)),
        reject: (e) => (timer.cancel(), reject(e)),
      })
      client.publish(`${path}?$rid=${rid}`, body, { qos: 0 })
    })
  }

  async getTwin(): Promise<TwinDocument> {
    const r = await this.twinRequest('$iothub/twin/GET/', ' ')
    const doc = parseJson(r.body) as Partial<TwinDocument> & { errorCode?: unknown; message?: unknown }
    if (r.status >= 300 || doc?.errorCode !== undefined) throw errors.hub(`twin of ${this.who}`, r.status, String(doc?.message ?? r.body.toString('utf8')))
    return { desired: doc?.desired ?? { $version: 1 }, reported: doc?.reported ?? { $version: 1 } }
  }

  async patchReported(patch: Record<string, unknown>): Promise<number> {
    const r = await this.twinRequest('$iothub/twin/PATCH/properties/reported/', JSON.stringify(patch))
    const doc = r.body.length ? (parseJson(r.body) as { errorCode?: unknown; message?: unknown } | undefined) : undefined
    if (r.status >= 300 || doc?.errorCode !== undefined) throw errors.hub(`reported properties of ${this.who}`, r.status, String(doc?.message ?? r.body.toString('utf8')))
    return r.version ?? 0
  }

  private onMessage(client: MqttClient, topic: string, payload: Buffer, _packet: IPublishPacket): void {
    if (topic.startsWith('$iothub/twin/res/')) {
      const q = parseTopicQuery(topic)
      const w = this.twinWaiters.get(q.get('$rid') ?? '')
      if (!w || w.client !== client) return
      this.twinWaiters.delete(q.get('$rid')!)
      const status = Number(topic.slice('$iothub/twin/res/'.length).split('/')[0])
      const version = q.get('$version')
      w.resolve({ status, body: payload, ...(version !== undefined && /^\d+$/.test(version) ? { version: Number(version) } : {}) })
    } else if (topic.startsWith('$iothub/twin/PATCH/properties/desired/')) {
      const patch = parseJson(payload)
      if (typeof patch !== 'object' || patch === null) return
      for (const l of this.desiredListeners) {
        try {
          l(patch as Record<string, unknown>)
        } catch (err) {
          this.env.log.warn({ event: 'upstream.listener_failed', err }, 'desired properties listener threw')
        }
      }
    } else if (topic.startsWith('$iothub/methods/POST/')) {
      void this.onMethod(client, topic, payload)
    }
  }

  private async onMethod(client: MqttClient, topic: string, payload: Buffer): Promise<void> {
    const name = topic.slice('$iothub/methods/POST/'.length).split('/')[0]!.split('?')[0]!
    const rid = parseTopicQuery(topic).get('$rid')
    if (!rid) return
    let result: CloudMethodResult
    try {
      if (!this.methodHandler) throw new Error(`no handler for direct methods of ${this.who}`)
      result = await this.methodHandler({ name, payload, rid })
    } catch (err) {
      result = { status: 500, payload: Buffer.from(JSON.stringify({ message: (err as Error).message })) }
    }
    if (client.connected) client.publish(`$iothub/methods/res/${result.status}/?$rid=${rid}`, result.payload, { qos: 0 })
  }

  /** QoS 1 deliveries: C2D waits for `complete()`; anything else is acknowledged at once. */
  private onQos1(client: MqttClient, topic: string, message: Buffer, packet: IPublishPacket, done: (err: Error | number, code?: number) => void): void {
    const prefix = `devices/${this.identity.deviceId}/messages/devicebound/`
    if (!topic.startsWith(prefix)) return done(0)
    const listener = this.c2dListener
    // Without a listener (it just went away) the message stays unacknowledged: the hub delivers it again later.
    if (!listener) return done(DEFERRED_ACK)
    let bag
    try {
      bag = parsePropertyBag(topic.slice(prefix.length))
    } catch (err) {
      this.env.log.warn({ event: 'upstream.c2d_malformed', identity: this.who, topic, err }, 'C2D message with a malformed property bag dropped')
      return done(0)
    }
    let completed = false
    const complete = (): void => {
      if (completed) return
      completed = true
      // On the connection it came on (the hub completes it only there); gone: the hub delivers it again.
      if (client.connected && packet.messageId !== undefined) client.stream.write(generate({ cmd: 'puback', messageId: packet.messageId }))
    }
    try {
      listener({ body: Buffer.from(message), systemProperties: bag.systemProperties, properties: bag.properties }, complete)
    } catch (err) {
      this.env.log.warn({ event: 'upstream.listener_failed', err }, 'C2D listener threw')
    }
    done(DEFERRED_ACK)
  }

  /** Closes for good: operations in flight fail. */
  async close(): Promise<void> {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.retryTimer?.cancel()
    this.renewTimer?.cancel()
    const client = this.client
    this.client = undefined
    if (client) {
      this.settleClient(client, 'released')
      await new Promise<void>((r) => client.end(false, {}, () => r()))
    }
  }
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'))
  } catch {
    return undefined
  }
}
