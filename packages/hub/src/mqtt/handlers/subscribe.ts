/**
 * SUBSCRIBE / UNSUBSCRIBE: only the IoT Hub dialect's filters on the client's own topics are granted (at most QoS 1);
 * anything else gets the failure return code 0x80 (MQTT-3.9.3) and is logged.
 */
import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet'
import { parseSubscription } from '@ledge/protocol'
import type { MqttConnection } from '../connection.js'

export function handleSubscribe(conn: MqttConnection, packet: ISubscribePacket): void {
  const id = { deviceId: conn.deviceId, ...(conn.moduleId ? { moduleId: conn.moduleId } : {}) }
  const granted: number[] = []
  let methods = false
  let c2d = false
  for (const sub of packet.subscriptions) {
    const kind = parseSubscription(sub.topic, id)
    if (!kind) {
      conn.log.warn({ event: 'mqtt.subscribe_denied', topic: sub.topic }, `subscription to '${sub.topic}' refused: not a topic of this identity`)
      granted.push(0x80)
      continue
    }
    conn.session!.subscriptions.add(kind)
    granted.push(Math.min(sub.qos, 1))
    if (kind === 'methods') methods = true
    if (kind === 'c2d') c2d = true
  }
  conn.deps.sessions.changed(conn.session!)
  conn.write({ cmd: 'suback', messageId: packet.messageId, granted })
  if (methods) conn.deps.links.methodsReady(conn.deviceId, conn.moduleId)
  if (c2d) conn.c2dAvailable()
}

export function handleUnsubscribe(conn: MqttConnection, packet: IUnsubscribePacket): void {
  const id = { deviceId: conn.deviceId, ...(conn.moduleId ? { moduleId: conn.moduleId } : {}) }
  for (const topic of packet.unsubscriptions) {
    const kind = parseSubscription(topic, id)
    if (kind) conn.session!.subscriptions.delete(kind)
  }
  conn.deps.sessions.changed(conn.session!)
  conn.write({ cmd: 'unsuback', messageId: packet.messageId!, granted: [] })
}
