/**
 * CONNECT to the edge hub: the shared checks, then the client's SAS token against the device scope cached from the
 * hub (so modules and leaf devices connect while the hub is unreachable). A resumed session picks up its
 * subscriptions: input deliveries, methods, desired patches and C2D start again without a new SUBSCRIBE.
 */
import type { IConnectPacket } from 'mqtt-packet'
import { checkConnect } from '@ledge/mqtt-server'
import { identityOf } from '../identity.js'
import type { EdgeConnection } from './connection.js'
import { activateSubscriptions } from './handle-subscribe.js'

export async function handleConnect(conn: EdgeConnection, packet: IConnectPacket): Promise<void> {
  const { deps } = conn
  const check = checkConnect(packet)
  if (!check.ok) return conn.refuse(check.returnCode, check.reason)
  const identity = identityOf(check.deviceId, check.moduleId)
  const auth = await deps.auth.authenticate(identity, check.password)
  if (!auth.ok) {
    deps.metrics.connectRefused(packet.clientId, 'not_authorized')
    return conn.refuse(5, auth.reason)
  }

  const { session, present } = await deps.sessions.open(packet.clientId, packet.clean ?? true)
  if (conn.state === 'closed') return // the socket went away while we were checking
  conn.session = session
  conn.accepted({ deviceId: check.deviceId, moduleId: check.moduleId }, packet.keepalive ?? 0, auth.expiresAt)
  const previous = deps.clients.add(conn)
  // MQTT-3.1.4-2: a second connection with the same client id takes over; the first one is closed.
  previous?.close('another connection with the same client id took over')
  conn.write({ cmd: 'connack', returnCode: 0, sessionPresent: present })
  conn.log.info({ event: 'mqtt.connected', clean: packet.clean, sessionPresent: present, clientType: check.username.clientType }, 'client connected')
  activateSubscriptions(conn, session.subscriptions)
}
