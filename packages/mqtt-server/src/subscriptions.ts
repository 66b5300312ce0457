/**
 * SUBSCRIBE / UNSUBSCRIBE: only the IoT Hub dialect's filters on the client's own topics are granted (at most QoS 1);
 * anything else gets the failure return code 0x80 (MQTT-3.9.3) and is logged.
 */
import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet'
import { parseSubscription, type SubscriptionKind } from '@ledge/protocol'
import type { IotMqttConnection } from './connection.js'
import type { Session, SessionStore } from './session-store.js'

function identityOf(conn: IotMqttConnection): { deviceId: string; moduleId?: string } {
  return { deviceId: conn.deviceId, ...(conn.moduleId ? { moduleId: conn.moduleId } : {}) }
}

/** Grants what may be granted, saves the session, writes the SUBACK; returns the kinds newly granted. */
export function subscribe(conn: IotMqttConnection, session: Session, sessions: SessionStore, packet: ISubscribePacket): Set<SubscriptionKind> {
  const id = identityOf(conn)
  const granted: number[] = []
  const kinds = new Set<SubscriptionKind>()
  for (const sub of packet.subscriptions) {
    const kind = parseSubscription(sub.topic, id)
    if (!kind) {
      conn.log.warn({ event: 'mqtt.subscribe_denied', topic: sub.topic }, `subscription to '${sub.topic}' refused: not a topic of this identity`)
      granted.push(0x80)
      continue
    }
    session.subscriptions.add(kind)
    kinds.add(kind)
    granted.push(Math.min(sub.qos, 1))
  }
  sessions.changed(session)
  conn.write({ cmd: 'suback', messageId: packet.messageId, granted })
  return kinds
}

export function unsubscribe(conn: IotMqttConnection, session: Session, sessions: SessionStore, packet: IUnsubscribePacket): void {
  const id = identityOf(conn)
  for (const topic of packet.unsubscriptions) {
    const kind = parseSubscription(topic, id)
    if (kind) session.subscriptions.delete(kind)
  }
  sessions.changed(session)
  conn.write({ cmd: 'unsuback', messageId: packet.messageId!, granted: [] })
}
