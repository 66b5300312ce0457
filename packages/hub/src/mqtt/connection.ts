/**
 * One MQTT client connection in the IoT Hub dialect. It parses packets with mqtt-packet, hands each to its handler
 * (one file per packet type under `handlers/`), and is the {@link DeviceLink} through which the hub reaches the client.
 */
import type { Duplex } from 'node:stream'
import { generate, parser as createParser, type Packet, type IPublishPacket } from 'mqtt-packet'
import { desiredPatchTopic, methodRequestTopic, type SubscriptionKind } from '@ledge/protocol'
import type { Logger } from '@ledge/common'
import type { DeviceLink } from '../links/device-links.js'
import type { GatewayDeps } from './gateway-deps.js'
import type { Session } from './session-store.js'
import { handleConnect } from './handlers/connect.js'
import { handlePublish } from './handlers/publish.js'
import { handleSubscribe, handleUnsubscribe } from './handlers/subscribe.js'
import { handlePuback, pumpC2d } from './handlers/c2d-delivery.js'

/** IoT Hub's 256 KB message limit, plus room for the topic and its property bag. */
export const MAX_PACKET_BYTES = 256 * 1024 + 16 * 1024
/** A client that sends nothing within this time after opening the socket is dropped. */
const CONNECT_TIMEOUT_MS = 10_000
/** Stop reading from a client that has this many publishes waiting for storage; resume at half. */
const MAX_UNACKED_PUBLISHES = 1000

export type ConnectionState = 'new' | 'authenticating' | 'connected' | 'closed'

export class MqttConnection implements DeviceLink {
  state: ConnectionState = 'new'
  deviceId = ''
  moduleId: string | null = null
  clientId = ''
  session: Session | undefined
  log: Logger
  /** C2D packet ids in flight → store sequence numbers. */
  readonly inflightC2d = new Map<number, number>()
  readonly sentC2d = new Set<number>()
  c2dPumping = false
  c2dPumpAgain = false
  unackedPublishes = 0

  private readonly parser = createParser({ protocolVersion: 4 })
  private readonly queuedWhileAuthenticating: Packet[] = []
  private keepAliveMs = 0
  private keepAliveTimer: ReturnType<typeof setTimeout> | undefined
  private armedMs = 0
  private tokenTimer: ReturnType<typeof setTimeout> | undefined
  private corked = false
  private nextPacketId = 1
  private paused = false

  constructor(
    readonly stream: Duplex,
    readonly deps: GatewayDeps,
    readonly remote: { address: string; transport: 'mqtts' | 'wss' },
  ) {
    this.log = deps.log.child({ remote: remote.address, transport: remote.transport })
    this.parser.on('packet', (p: Packet) => this.onPacket(p))
    this.parser.on('error', (err: Error) => this.close(`malformed MQTT packet: ${err.message}`))
    stream.on('data', (chunk: Buffer) => this.onData(chunk))
    stream.on('error', (err) => this.close(`socket error: ${err.message}`))
    stream.on('close', () => this.close('the client closed the connection'))
    this.armKeepAlive(CONNECT_TIMEOUT_MS)
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return
    this.parser.parse(chunk)
    const pending = (this.parser as unknown as { packet?: { length?: number } }).packet?.length ?? 0
    if (pending > MAX_PACKET_BYTES) this.close(`packet of ${pending} bytes is larger than the limit of ${MAX_PACKET_BYTES} bytes`)
  }

  private onPacket(packet: Packet): void {
    if (this.state === 'closed') return
    if (this.keepAliveMs > 0) this.armKeepAlive(this.keepAliveMs)
    if (this.state === 'authenticating') {
      this.queuedWhileAuthenticating.push(packet)
      return
    }
    if (this.state === 'new') {
      if (packet.cmd !== 'connect') return this.close(`the first packet must be CONNECT, not ${packet.cmd.toUpperCase()}`) // MQTT-3.1.0-1
      this.state = 'authenticating'
      void handleConnect(this, packet).then(
        () => this.drainQueued(),
        (err: unknown) => {
          this.log.error({ err, event: 'mqtt.connect_failed' }, 'CONNECT handling failed')
          this.write({ cmd: 'connack', returnCode: 3, sessionPresent: false })
          this.close('server error during CONNECT')
        },
      )
      return
    }
    this.dispatch(packet)
  }

  private drainQueued(): void {
    while (this.queuedWhileAuthenticating.length > 0 && this.state === 'connected') this.dispatch(this.queuedWhileAuthenticating.shift()!)
  }

  private dispatch(packet: Packet): void {
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, packet)
      case 'puback':
        return handlePuback(this, packet)
      case 'subscribe':
        return handleSubscribe(this, packet)
      case 'unsubscribe':
        return handleUnsubscribe(this, packet)
      case 'pingreq':
        return this.write({ cmd: 'pingresp' })
      case 'disconnect':
        return this.close('the client disconnected')
      case 'connect':
        return this.close('a second CONNECT on one connection is a protocol violation') // MQTT-3.1.0-2
      default:
        return this.close(`${packet.cmd.toUpperCase()} is not supported by IoT Hub (QoS 2 is not available)`)
    }
  }

  /** Called by the CONNECT handler once the client is accepted. */
  accepted(session: Session, keepAliveSeconds: number, tokenExpiry: number): void {
    this.session = session
    this.state = 'connected'
    // MQTT-3.1.2-24: the server may wait one and a half keep-alive periods.
    this.keepAliveMs = keepAliveSeconds > 0 ? keepAliveSeconds * 1500 : 0
    if (this.keepAliveMs > 0) this.armKeepAlive(this.keepAliveMs)
    else if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer)
    const ms = tokenExpiry * 1000 - this.deps.clock.now()
    // IoT Hub closes a connection when its SAS token expires; the SDK renews well before.
    this.tokenTimer = setTimeout(() => this.close('the SAS token expired'), Math.min(Math.max(ms, 0), 2 ** 31 - 1))
    this.tokenTimer.unref()
  }

  private armKeepAlive(ms: number): void {
    // Called for every packet: restart the same timer rather than allocate a new one.
    if (this.keepAliveTimer && this.armedMs === ms) {
      this.keepAliveTimer.refresh()
      return
    }
    this.armedMs = ms
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer)
    this.keepAliveTimer = setTimeout(() => this.close(this.state === 'connected' ? 'keep-alive timeout' : 'no CONNECT in time'), ms)
    this.keepAliveTimer.unref()
  }

  subscribed(kind: SubscriptionKind): boolean {
    return this.session?.subscriptions.has(kind) ?? false
  }

  allocatePacketId(): number {
    for (;;) {
      const id = this.nextPacketId
      this.nextPacketId = id >= 65535 ? 1 : id + 1
      if (!this.inflightC2d.has(id)) return id
    }
  }

  write(packet: Packet): void {
    if (this.state === 'closed' || this.stream.destroyed) return
    // Cork so that packets written in the same tick (a burst of PUBACKs) leave in one TLS record.
    if (!this.corked) {
      this.corked = true
      this.stream.cork()
      process.nextTick(() => {
        this.corked = false
        this.stream.uncork()
      })
    }
    this.stream.write(generate(packet))
  }

  publish(topic: string, payload: Buffer | string, qos: 0 | 1, messageId?: number): void {
    const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos, dup: false, retain: false }
    if (qos > 0) packet.messageId = messageId ?? this.allocatePacketId()
    this.write(packet)
  }

  /** Flow control for telemetry: stop reading while too many publishes wait for the store. */
  publishStarted(): void {
    this.unackedPublishes++
    if (!this.paused && this.unackedPublishes >= MAX_UNACKED_PUBLISHES) {
      this.paused = true
      this.stream.pause()
    }
  }

  publishFinished(): void {
    this.unackedPublishes--
    if (this.paused && this.unackedPublishes <= MAX_UNACKED_PUBLISHES / 2) {
      this.paused = false
      this.stream.resume()
    }
  }

  // DeviceLink

  acceptsMethods(): boolean {
    return this.state === 'connected' && this.subscribed('methods')
  }

  sendMethodRequest(methodName: string, rid: string, payload: Buffer): boolean {
    if (!this.acceptsMethods()) return false
    this.publish(methodRequestTopic(methodName, rid), payload, 0)
    return true
  }

  sendDesiredPatch(patch: Record<string, unknown>): void {
    if (this.state !== 'connected' || !this.subscribed('twinDesired')) return
    this.publish(desiredPatchTopic(Number(patch.$version)), JSON.stringify(patch), 0)
  }

  c2dAvailable(): void {
    void pumpC2d(this)
  }

  close(reason: string): void {
    if (this.state === 'closed') return
    const wasConnected = this.state === 'connected'
    this.state = 'closed'
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer)
    if (this.tokenTimer) clearTimeout(this.tokenTimer)
    if (wasConnected) {
      this.deps.links.remove(this)
      if (!this.deps.links.get(this.deviceId, this.moduleId)) this.deps.presence.disconnected(this.deviceId, this.moduleId)
      if (this.session) this.deps.sessions.release(this.session)
      this.log.info({ event: 'mqtt.disconnected', reason }, 'client disconnected')
    } else {
      this.log.debug({ event: 'mqtt.closed', reason }, 'connection closed before it was accepted')
    }
    this.inflightC2d.clear()
    this.sentC2d.clear()
    // Flush what was written last (a refusing CONNACK) before closing; destroy if the peer does not read it.
    if (this.corked) {
      this.corked = false
      this.stream.uncork()
    }
    this.stream.end()
    setTimeout(() => this.stream.destroy(), 1000).unref()
  }
}
