/**
 * One client of the edge hub (a module, or a leaf device through the transparent gateway): the shared IoT Hub MQTT
 * connection with the edge hub's meaning of each packet. It also carries what the edge hub sends the client at QoS 1
 * (module inputs, leaf C2D: each resolves on the client's PUBACK) and the method requests waiting for an answer.
 */
import type { Duplex } from 'node:stream'
import type { IConnectPacket, IPubackPacket } from 'mqtt-packet'
import { desiredPatchTopic, methodRequestTopic, type SubscriptionKind } from '@ledge/protocol'
import { IotMqttConnection, type ClientPacket, type Remote, type Session } from '@ledge/mqtt-server'
import type { MethodResult } from '../ports.js'
import type { BrokerDeps } from './deps.js'
import { handleConnect } from './handle-connect.js'
import { handlePublish } from './handle-publish.js'
import { handleSubscribe, handleUnsubscribe } from './handle-subscribe.js'

type Pending = { resolve: () => void; reject: (err: Error) => void }
type PendingMethod = { resolve: (r: MethodResult) => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> }

/** QoS 1 deliveries in flight to one client before the next one waits (MQTT receive maximum, in spirit). */
const MAX_INFLIGHT_DELIVERIES = 100

export class EdgeConnection extends IotMqttConnection {
  session: Session | undefined
  private readonly inflight = new Map<number, Pending>()
  private readonly waitingForWindow: (() => void)[] = []
  private readonly methodCalls = new Map<string, PendingMethod>()
  private nextRid = 1

  /** QoS 1 deliveries this client may have unacknowledged at once (a module input's stream keeps it full). */
  readonly deliveryWindow = MAX_INFLIGHT_DELIVERIES

  constructor(stream: Duplex, readonly deps: BrokerDeps, remote: Remote) {
    super(stream, deps, remote)
  }

  protected onConnect(packet: IConnectPacket): Promise<void> {
    return handleConnect(this, packet)
  }

  protected onPacket(packet: ClientPacket): void {
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, packet)
      case 'puback':
        return this.acknowledged(packet)
      case 'subscribe':
        return handleSubscribe(this, packet)
      case 'unsubscribe':
        return handleUnsubscribe(this, packet)
    }
  }

  protected override packetIdInUse(id: number): boolean {
    return this.inflight.has(id)
  }

  protected onClosed(reason: string, wasConnected: boolean): void {
    if (wasConnected) {
      this.deps.clients.remove(this)
      if (this.session) this.deps.sessions.release(this.session)
    }
    const err = new Error(`the client disconnected before answering (${reason})`)
    for (const p of this.inflight.values()) p.reject(err)
    this.inflight.clear()
    for (const wake of this.waitingForWindow.splice(0)) wake()
    for (const m of this.methodCalls.values()) {
      clearTimeout(m.timer)
      m.reject(err)
    }
    this.methodCalls.clear()
  }

  subscribed(kind: SubscriptionKind): boolean {
    return this.session?.subscriptions.has(kind) ?? false
  }

  /** Publishes at QoS 1 and resolves on the client's PUBACK; rejects if the connection ends first. */
  async deliver(topic: string, payload: Buffer): Promise<void> {
    while (this.inflight.size >= MAX_INFLIGHT_DELIVERIES && this.state === 'connected') {
      await new Promise<void>((wake) => this.waitingForWindow.push(wake))
    }
    if (this.state !== 'connected') throw new Error('the client is not connected')
    return new Promise<void>((resolve, reject) => {
      const id = this.allocatePacketId()
      this.inflight.set(id, { resolve, reject })
      this.publish(topic, payload, 1, id)
    })
  }

  private acknowledged(packet: IPubackPacket): void {
    const p = this.inflight.get(packet.messageId!)
    if (!p) return
    this.inflight.delete(packet.messageId!)
    p.resolve()
    this.waitingForWindow.shift()?.()
  }

  /** Sends a direct method request and resolves with the client's answer, or rejects after `timeoutMs`. */
  invokeMethod(name: string, payload: Buffer, timeoutMs: number): Promise<MethodResult> {
    const rid = (this.nextRid++).toString(16)
    return new Promise<MethodResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.methodCalls.delete(rid)
        reject(Object.assign(new Error(`the ${this.moduleId ? 'module' : 'device'} did not answer method '${name}' within ${timeoutMs / 1000} s`), { timeout: true }))
      }, timeoutMs)
      timer.unref()
      this.methodCalls.set(rid, { resolve, reject, timer })
      this.publish(methodRequestTopic(name, rid), payload, 0)
    })
  }

  /** A method response from the client (`$iothub/methods/res/{status}/?$rid=`). */
  methodAnswered(rid: string, status: number, payload: Buffer): void {
    const m = this.methodCalls.get(rid)
    if (!m) return this.log.debug({ event: 'method.late_response', rid }, 'a method response arrived after its request timed out')
    this.methodCalls.delete(rid)
    clearTimeout(m.timer)
    m.resolve({ status, payload })
  }

  sendDesiredPatch(patch: Record<string, unknown>): void {
    if (this.state !== 'connected' || !this.subscribed('twinDesired')) return
    this.publish(desiredPatchTopic(Number(patch.$version)), JSON.stringify(patch), 0)
  }
}
