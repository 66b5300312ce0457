/**
 * SUBSCRIBE / UNSUBSCRIBE: the shared grant rules; each kind granted (or resumed with a session) starts what it
 * stands for: module inputs are delivered, the cloud's desired patches, method calls and C2D messages are followed.
 */
import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet'
import type { SubscriptionKind } from '@ledge/protocol'
import { subscribe, unsubscribe } from '@ledge/mqtt-server'
import { identityOf } from '../identity.js'
import type { EdgeConnection } from './connection.js'

export function handleSubscribe(conn: EdgeConnection, packet: ISubscribePacket): void {
  activateSubscriptions(conn, subscribe(conn, conn.session!, conn.deps.sessions, packet))
}

export function handleUnsubscribe(conn: EdgeConnection, packet: IUnsubscribePacket): void {
  unsubscribe(conn, conn.session!, conn.deps.sessions, packet)
}

export function activateSubscriptions(conn: EdgeConnection, kinds: Iterable<SubscriptionKind>): void {
  const { deps } = conn
  const identity = identityOf(conn.deviceId, conn.moduleId)
  const list = [...kinds]
  for (const kind of list) {
    if (kind === 'twinDesired') deps.twins.follow(identity)
    else if (kind === 'methods') deps.methods.listen(identity)
    else if (kind === 'c2d') deps.c2d.listen(identity)
  }
  deps.clients.subscribed(conn, list)
}
