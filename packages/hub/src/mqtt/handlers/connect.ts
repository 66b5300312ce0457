/**
 * CONNECT: the shared checks (MQTT 3.1.1, username, client id), then the identity in the registry, enabled, and its
 * SAS token. Refusals use MQTT 3.1.1 return codes: 1 protocol version, 2 identifier rejected, 4 bad username or
 * password, 5 not authorized.
 */
import type { IConnectPacket } from 'mqtt-packet'
import { checkConnect } from '@ledge/mqtt-server'
import type { MqttConnection } from '../connection.js'

export async function handleConnect(conn: MqttConnection, packet: IConnectPacket): Promise<void> {
  const { deps } = conn
  const check = checkConnect(packet)
  if (!check.ok) return conn.refuse(check.returnCode, check.reason)
  const { deviceId, moduleId } = check
  const identity = await deps.registry.getRecord(deviceId, moduleId)
  if (!identity) return conn.refuse(5, moduleId ? `module '${deviceId}/${moduleId}' does not exist` : `device '${deviceId}' does not exist`)
  const device = moduleId ? await deps.registry.getRecord(deviceId, null) : identity
  if (!device || device.status !== 'enabled') return conn.refuse(5, `device '${deviceId}' is disabled`)
  const auth = await deps.authenticator.authenticateIdentity(check.password, identity)
  if (!auth.ok) return conn.refuse(5, auth.reason)

  const { session, present } = await deps.sessions.open(packet.clientId, packet.clean ?? true)
  if (conn.state === 'closed') return // the socket went away while we were checking
  conn.session = session
  conn.accepted({ deviceId, moduleId }, packet.keepalive ?? 0, auth.value.se)
  const previous = deps.links.add(conn)
  // MQTT-3.1.4-2: a second connection with the same client id takes over; the first one is closed.
  previous?.close('another connection with the same client id took over')
  deps.presence.connected(deviceId, moduleId)
  conn.write({ cmd: 'connack', returnCode: 0, sessionPresent: present })
  conn.log.info({ event: 'mqtt.connected', clean: packet.clean, sessionPresent: present, clientType: check.username.clientType }, 'client connected')
  if (session.subscriptions.has('methods')) deps.links.methodsReady(deviceId, moduleId)
  if (session.subscriptions.has('c2d')) conn.c2dAvailable()
}
