/**
 * Cloud-to-device messages for leaf devices behind the gateway: the cloud's message is handed to the leaf's
 * connection at QoS 1 and completed upstream only after the leaf's PUBACK, so a leaf that is offline, or drops the
 * connection mid-delivery, gets it again (the cloud keeps it until it is completed).
 */
import type { Logger } from '@ledge/common'
import { c2dTopic, formatPropertyBag, type Message } from '@ledge/protocol'
import { identityKey, type ClientIdentity } from '../identity.js'
import type { CloudLink } from '../ports.js'
import type { ConnectedClients } from './clients.js'

type Waiting = { message: Message; complete: () => void }

export class LeafC2d {
  private readonly listened = new Set<string>()
  private readonly waiting = new Map<string, Waiting[]>()
  private readonly pumping = new Set<string>()

  constructor(private readonly o: { cloud: CloudLink; clients: ConnectedClients; log: Logger }) {
    o.clients.onChange((conn, connected) => {
      if (connected && !conn.moduleId) void this.pump(conn.deviceId)
    })
  }

  /** Follows the cloud's C2D messages for a leaf device (once per device) and delivers what waits for it. */
  listen(identity: ClientIdentity): void {
    if (identity.moduleId) return
    const key = identityKey(identity.deviceId)
    if (this.listened.has(key)) return void this.pump(identity.deviceId)
    this.listened.add(key)
    this.o.cloud.onC2d(identity, (message, complete) => {
      const list = this.waiting.get(key) ?? []
      list.push({ message, complete })
      this.waiting.set(key, list)
      void this.pump(identity.deviceId)
    })
  }

  private async pump(deviceId: string): Promise<void> {
    if (this.pumping.has(deviceId)) return
    this.pumping.add(deviceId)
    try {
      const list = this.waiting.get(deviceId) ?? []
      while (list.length > 0) {
        const conn = this.o.clients.get(deviceId)
        if (!conn || conn.state !== 'connected' || !conn.subscribed('c2d')) return
        const next = list[0]!
        try {
          await conn.deliver(c2dTopic(deviceId, formatPropertyBag(next.message.systemProperties, next.message.properties)), next.message.body)
        } catch {
          return // the leaf went away: delivered again when it is back
        }
        list.shift()
        next.complete()
      }
    } finally {
      this.pumping.delete(deviceId)
    }
  }
}
