/**
 * One MQTT 3.1.1 client connection in the IoT Hub dialect, server side: framing (mqtt-packet), the CONNECT-first
 * rule, keep-alive, the SAS token's lifetime, writes batched per tick, flow control of stored publishes and packet ids.
 * What a packet means is the product's business: the hub and the edge hub each extend this class and implement
 * {@link IotMqttConnection.onConnect}, {@link IotMqttConnection.onPacket} and {@link IotMqttConnection.onClosed}.
 */
import type { Duplex } from 'node:stream'
import { generate, parser as createParser, writeToStream, type IConnectPacket, type IPublishPacket, type Packet } from 'mqtt-packet'
import type { Clock, Logger } from '@ledge/common'
import { WriteBatch } from './write-batch.js'

// mqtt-packet otherwise builds, on its first packet, a cache of 65,536 two-byte Buffers for packet ids and lengths:
// 6 MB of V8 heap that every GC traces, a tenth of the edge hub's memory budget, to save one 2-byte allocation per
// number written. The switch is global to mqtt-packet (MQTT.js's `writeCache: false` flips the same one).
writeToStream.cacheNumbers = false

/** IoT Hub's 256 KB message limit, plus room for the topic and its property bag. */
export const MAX_PACKET_BYTES = 256 * 1024 + 16 * 1024
/** A client that sends nothing within this time after opening the socket is dropped. */
const CONNECT_TIMEOUT_MS = 10_000
/** Stop reading from a client that has this many publishes waiting for storage; resume at half. */
const MAX_UNACKED_PUBLISHES = 1000

export type ConnectionState = 'new' | 'authenticating' | 'connected' | 'closed'

/** Packets the subclass handles once the client is connected (PINGREQ, DISCONNECT and protocol errors are handled here). */
export type ClientPacket = Extract<Packet, { cmd: 'publish' | 'puback' | 'subscribe' | 'unsubscribe' }>

export interface Remote {
  address: string
  transport: 'mqtts' | 'wss'
}

export interface ConnectionContext {
  clock: Clock
  log: Logger
}

export abstract class IotMqttConnection {
  state: ConnectionState = 'new'
  deviceId = ''
  moduleId: string | null = null
  clientId = ''
  log: Logger
  unackedPublishes = 0

  private readonly parser = createParser({ protocolVersion: 4 })
  private readonly queuedWhileAuthenticating: Packet[] = []
  private keepAliveMs = 0
  private keepAliveTimer: ReturnType<typeof setTimeout> | undefined
  /** When the last packet arrived (`performance.now()`): the keep-alive timer checks it when it fires. */
  private lastPacketAt = 0
  private tokenTimer: ReturnType<typeof setTimeout> | undefined
  private readonly out: WriteBatch
  private nextPacketId = 1
  private paused = false

  constructor(
    readonly stream: Duplex,
    private readonly context: ConnectionContext,
    readonly remote: Remote,
  ) {
    this.log = context.log.child({ remote: remote.address, transport: remote.transport })
    this.out = new WriteBatch(stream)
    this.parser.on('packet', (p: Packet) => this.receive(p))
    this.parser.on('error', (err: Error) => this.close(`malformed MQTT packet: ${err.message}`))
    stream.on('data', (chunk: Buffer) => this.onData(chunk))
    stream.on('error', (err) => this.close(`socket error: ${err.message}`))
    stream.on('close', () => this.close('the client closed the connection'))
    this.armKeepAlive(CONNECT_TIMEOUT_MS)
  }

  /** Authenticates the client and calls {@link accepted} (or writes a refusing CONNACK and closes). */
  protected abstract onConnect(packet: IConnectPacket): Promise<void>
  /** A packet from a connected client. */
  protected abstract onPacket(packet: ClientPacket): void
  /** The connection ended; `wasConnected` tells whether {@link accepted} had been called. */
  protected abstract onClosed(reason: string, wasConnected: boolean): void
  /** Whether a packet id is still in use by a delivery of the subclass (so it is not handed out again). */
  protected packetIdInUse(_id: number): boolean {
    return false
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return
    this.parser.parse(chunk)
    const pending = (this.parser as unknown as { packet?: { length?: number } }).packet?.length ?? 0
    if (pending > MAX_PACKET_BYTES) this.close(`packet of ${pending} bytes is larger than the limit of ${MAX_PACKET_BYTES} bytes`)
  }

  private receive(packet: Packet): void {
    if (this.state === 'closed') return
    this.lastPacketAt = performance.now()
    if (this.state === 'authenticating') {
      this.queuedWhileAuthenticating.push(packet)
      return
    }
    if (this.state === 'new') {
      if (packet.cmd !== 'connect') return this.close(`the first packet must be CONNECT, not ${packet.cmd.toUpperCase()}`) // MQTT-3.1.0-1
      this.state = 'authenticating'
      this.clientId = packet.clientId
      void this.onConnect(packet).then(
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
        if (packet.qos > 1) return this.close('QoS 2 is not supported by IoT Hub')
        return this.onPacket(packet)
      case 'puback':
      case 'subscribe':
      case 'unsubscribe':
        return this.onPacket(packet)
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

  /** Called by `onConnect` once the client is accepted, before the CONNACK is written. */
  accepted(identity: { deviceId: string; moduleId: string | null }, keepAliveSeconds: number, tokenExpirySeconds: number): void {
    this.deviceId = identity.deviceId
    this.moduleId = identity.moduleId
    this.log = this.log.child({ deviceId: identity.deviceId, ...(identity.moduleId ? { moduleId: identity.moduleId } : {}) })
    this.state = 'connected'
    // MQTT-3.1.2-24: the server may wait one and a half keep-alive periods.
    this.keepAliveMs = keepAliveSeconds > 0 ? keepAliveSeconds * 1500 : 0
    if (this.keepAliveMs > 0) this.armKeepAlive(this.keepAliveMs)
    else if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer)
    const ms = tokenExpirySeconds * 1000 - this.context.clock.now()
    // IoT Hub closes a connection when its SAS token expires; the SDK renews well before.
    this.tokenTimer = setTimeout(() => this.close('the SAS token expired'), Math.min(Math.max(ms, 0), 2 ** 31 - 1))
    this.tokenTimer.unref()
  }

  /** Writes a CONNACK with a refusal code (1 protocol version, 2 identifier, 4 bad credentials, 5 not authorized) and closes. */
  refuse(returnCode: 1 | 2 | 4 | 5, reason: string): void {
    this.log.info({ event: 'mqtt.connect_refused', returnCode, reason, clientId: this.clientId }, `CONNECT refused: ${reason}`)
    this.write({ cmd: 'connack', returnCode, sessionPresent: false })
    this.close(reason)
  }

  private armKeepAlive(ms: number): void {
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer)
    this.keepAliveTimer = setTimeout(() => this.keepAliveElapsed(), ms)
    this.keepAliveTimer.unref()
  }

  /**
   * A packet does not restart the timer (at thousands of packets a second that costs more than the packet); it
   * records its time, and when the timer fires it runs again for what is left of the period since the last packet.
   */
  private keepAliveElapsed(): void {
    if (this.state !== 'connected') return this.close('no CONNECT in time')
    const quietMs = performance.now() - this.lastPacketAt
    if (this.keepAliveMs > 0 && quietMs < this.keepAliveMs) return this.armKeepAlive(this.keepAliveMs - quietMs)
    this.close('keep-alive timeout')
  }

  allocatePacketId(): number {
    for (;;) {
      const id = this.nextPacketId
      this.nextPacketId = id >= 65535 ? 1 : id + 1
      if (!this.packetIdInUse(id)) return id
    }
  }

  /** Packets written in the same tick (a burst of PUBACKs) leave in one socket write, in order. */
  write(packet: Packet): void {
    if (this.state === 'closed' || this.stream.destroyed) return
    this.out.add(generate(packet))
  }

  publish(topic: string, payload: Buffer | string, qos: 0 | 1, messageId?: number): number | undefined {
    const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos, dup: false, retain: false }
    if (qos > 0) packet.messageId = messageId ?? this.allocatePacketId()
    this.write(packet)
    return packet.messageId
  }

  puback(messageId: number | undefined): void {
    if (messageId === undefined || this.state === 'closed' || this.stream.destroyed) return
    // One per message: encoded here rather than through mqtt-packet's generic generator.
    const bytes = Buffer.allocUnsafe(4)
    bytes[0] = 0x40 // PUBACK
    bytes[1] = 2 // remaining length
    bytes.writeUInt16BE(messageId, 2)
    this.out.add(bytes)
  }

  /** Flow control for stored publishes: stop reading while too many wait for the store. */
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

  close(reason: string): void {
    if (this.state === 'closed') return
    const wasConnected = this.state === 'connected'
    this.state = 'closed'
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer)
    if (this.tokenTimer) clearTimeout(this.tokenTimer)
    this.onClosed(reason, wasConnected)
    if (wasConnected) this.log.info({ event: 'mqtt.disconnected', reason }, 'client disconnected')
    else this.log.debug({ event: 'mqtt.closed', reason }, 'connection closed before it was accepted')
    // Flush what was written last (a refusing CONNACK) before closing; destroy if the peer does not read it.
    this.out.flush()
    this.stream.end()
    setTimeout(() => this.stream.destroy(), 1000).unref()
  }
}
