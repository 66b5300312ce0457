/**
 * C2D delivery over MQTT: queued messages go out at QoS 1, a few at a time, in queue order; the client's PUBACK
 * completes the message (the SDK has no other acknowledgement over MQTT). Unacknowledged messages are sent again on
 * the next connection.
 */
import type { IPubackPacket } from 'mqtt-packet'
import { c2dTopic, formatPropertyBag } from '@ledge/protocol'
import type { MqttConnection } from '../connection.js'

/** Messages sent and not yet acknowledged, per connection. */
const MAX_INFLIGHT = 10

export async function pumpC2d(conn: MqttConnection): Promise<void> {
  if (conn.c2dPumping) {
    conn.c2dPumpAgain = true
    return
  }
  conn.c2dPumping = true
  try {
    do {
      conn.c2dPumpAgain = false
      if (conn.state !== 'connected' || !conn.subscribed('c2d') || conn.moduleId) break
      if (conn.inflightC2d.size >= MAX_INFLIGHT) break
      const messages = await conn.deps.c2d.nextForDelivery(conn.deviceId, MAX_INFLIGHT + conn.sentC2d.size)
      for (const m of messages) {
        if (conn.state !== 'connected' || conn.inflightC2d.size >= MAX_INFLIGHT) break
        if (conn.sentC2d.has(m.seq)) continue
        await conn.deps.c2d.markDelivered(conn.deviceId, m.seq)
        const packetId = conn.allocatePacketId()
        conn.inflightC2d.set(packetId, m.seq)
        conn.sentC2d.add(m.seq)
        conn.publish(c2dTopic(conn.deviceId, formatPropertyBag(m.systemProperties, m.properties)), m.body, 1, packetId)
      }
    } while (conn.c2dPumpAgain)
  } catch (err) {
    conn.log.warn({ err, event: 'c2d.delivery_failed' }, 'could not deliver C2D messages; will retry on the next change')
  } finally {
    conn.c2dPumping = false
  }
}

export function handlePuback(conn: MqttConnection, packet: IPubackPacket): void {
  const seq = conn.inflightC2d.get(packet.messageId!)
  if (seq === undefined) return
  conn.inflightC2d.delete(packet.messageId!)
  void conn.deps.c2d.complete(conn.deviceId, seq).then(
    () => {
      conn.sentC2d.delete(seq)
      conn.log.debug({ event: 'c2d.completed', seq }, 'C2D message completed')
      void pumpC2d(conn)
    },
    (err: unknown) => conn.log.warn({ err, event: 'c2d.complete_failed', seq }, 'could not complete a C2D message'),
  )
}
