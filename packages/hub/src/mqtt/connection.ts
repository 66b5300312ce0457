/**
 * One MQTT client connection to the hub: the shared IoT Hub dialect connection (@ledge/mqtt-server) with the hub's
 * meaning of each packet (one file per packet type under `handlers/`). It is the {@link DeviceLink} through which
 * the hub's services reach the client.
 */
import type { Duplex } from 'node:stream'
import type { IConnectPacket } from 'mqtt-packet'
import { desiredPatchTopic, methodRequestTopic, type ClientIdentity, type SubscriptionKind } from '@ledge/protocol'
import { IotMqttConnection, type ClientPacket, type Remote, type Session } from '@ledge/mqtt-server'
import type { DeviceLink } from '../links/device-links.js'
import type { GatewayDeps } from './gateway-deps.js'
import { handleConnect } from './handlers/connect.js'
import { handlePublish } from './handlers/publish.js'
import { handleSubscribe, handleUnsubscribe } from './handlers/subscribe.js'
import { handlePuback, pumpC2d } from './handlers/c2d-delivery.js'
import { DpsMqttSession, parseDpsUsername } from '../dps/mqtt-session.js'

export class MqttConnection extends IotMqttConnection implements DeviceLink {
  session: Session | undefined
  /** C2D packet ids in flight → store sequence numbers. */
  readonly inflightC2d = new Map<number, number>()
  readonly sentC2d = new Set<number>()
  c2dPumping = false
  c2dPumpAgain = false
  /** Set when the client is a provisioning (DPS) client rather than a device of the hub. */
  dps: DpsMqttSession | undefined
  private identityCache: ClientIdentity | undefined

  constructor(stream: Duplex, readonly deps: GatewayDeps, remote: Remote) {
    super(stream, deps, remote)
  }

  protected onConnect(packet: IConnectPacket): Promise<void> {
    if (this.deps.dps && parseDpsUsername(packet.username)) {
      this.dps = new DpsMqttSession(this, this.deps.dps)
      return this.dps.connect(packet)
    }
    return handleConnect(this, packet)
  }

  protected onPacket(packet: ClientPacket): void {
    if (this.dps) return this.dps.onPacket(packet)
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, packet)
      case 'puback':
        return handlePuback(this, packet)
      case 'subscribe':
        return handleSubscribe(this, packet)
      case 'unsubscribe':
        return handleUnsubscribe(this, packet)
    }
  }

  protected override packetIdInUse(id: number): boolean {
    return this.inflightC2d.has(id)
  }

  protected onClosed(_reason: string, wasConnected: boolean): void {
    if (wasConnected && !this.dps) {
      this.deps.links.remove(this)
      if (!this.deps.links.get(this.deviceId, this.moduleId)) this.deps.presence.disconnected(this.deviceId, this.moduleId)
      if (this.session) this.deps.sessions.release(this.session)
    }
    this.inflightC2d.clear()
    this.sentC2d.clear()
  }

  /** Who the client is, for topic checks: built once per connection, not per message. */
  get identity(): ClientIdentity {
    return (this.identityCache ??= { deviceId: this.deviceId, ...(this.moduleId ? { moduleId: this.moduleId } : {}) })
  }

  subscribed(kind: SubscriptionKind): boolean {
    return this.session?.subscriptions.has(kind) ?? false
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
}
