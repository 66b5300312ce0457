/** SUBSCRIBE / UNSUBSCRIBE: the shared grant rules; a method subscription releases waiting method calls, a C2D one starts delivery. */
import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet'
import { subscribe, unsubscribe } from '@ledge/mqtt-server'
import type { MqttConnection } from '../connection.js'

export function handleSubscribe(conn: MqttConnection, packet: ISubscribePacket): void {
  const kinds = subscribe(conn, conn.session!, conn.deps.sessions, packet)
  if (kinds.has('methods')) conn.deps.links.methodsReady(conn.deviceId, conn.moduleId)
  if (kinds.has('c2d')) conn.c2dAvailable()
}

export function handleUnsubscribe(conn: MqttConnection, packet: IUnsubscribePacket): void {
  unsubscribe(conn, conn.session!, conn.deps.sessions, packet)
}
