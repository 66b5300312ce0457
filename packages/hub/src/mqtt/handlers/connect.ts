/**
 * CONNECT: the IoT Hub username (`{host}/{device}[/{module}]/?api-version=…`), a clientId equal to `device` or
 * `device/module`, and a SAS token as the password. Refusals use MQTT 3.1.1 return codes: 1 protocol version,
 * 2 identifier rejected, 4 bad username or password, 5 not authorized.
 */
import type { IConnectPacket } from 'mqtt-packet'
import { parseMqttUsername } from '@ledge/protocol'
import type { MqttConnection } from '../connection.js'

type ReturnCode = 1 | 2 | 4 | 5

function refuse(conn: MqttConnection, returnCode: ReturnCode, reason: string): void {
  conn.log.info({ event: 'mqtt.connect_refused', returnCode, reason, clientId: conn.clientId }, `CONNECT refused: ${reason}`)
  conn.write({ cmd: 'connack', returnCode, sessionPresent: false })
  conn.close(reason)
}

export async function handleConnect(conn: MqttConnection, packet: IConnectPacket): Promise<void> {
  const { deps } = conn
  conn.clientId = packet.clientId
  if (packet.protocolVersion !== 4) return refuse(conn, 1, `MQTT protocol level ${packet.protocolVersion} is not supported: use MQTT 3.1.1`)
  const username = packet.username ? parseMqttUsername(packet.username) : undefined
  if (!username) return refuse(conn, 4, `username '${packet.username ?? ''}' is not '{hostname}/{deviceId}[/{moduleId}]/?api-version=…'`)
  const expectedClientId = username.moduleId ? `${username.deviceId}/${username.moduleId}` : username.deviceId
  if (packet.clientId !== expectedClientId) {
    return refuse(conn, 2, `client id '${packet.clientId}' must be '${expectedClientId}', the identity in the username`)
  }
  const moduleId = username.moduleId ?? null
  const identity = await deps.registry.getRecord(username.deviceId, moduleId)
  if (!identity) return refuse(conn, 5, moduleId ? `module '${username.deviceId}/${moduleId}' does not exist` : `device '${username.deviceId}' does not exist`)
  const device = moduleId ? await deps.registry.getRecord(username.deviceId, null) : identity
  if (!device || device.status !== 'enabled') return refuse(conn, 5, `device '${username.deviceId}' is disabled`)
  const password = packet.password === undefined ? undefined : packet.password.toString('utf8')
  const auth = await deps.authenticator.authenticateIdentity(password, identity)
  if (!auth.ok) return refuse(conn, 5, auth.reason)

  const { session, present } = await deps.sessions.open(packet.clientId, packet.clean ?? true)
  if (conn.state === 'closed') return // the socket went away while we were checking
  conn.deviceId = username.deviceId
  conn.moduleId = moduleId
  conn.log = conn.log.child({ deviceId: conn.deviceId, ...(moduleId ? { moduleId } : {}) })
  const previous = deps.links.add(conn)
  // MQTT-3.1.4-2: a second connection with the same client id takes over; the first one is closed.
  previous?.close('another connection with the same client id took over')
  deps.presence.connected(conn.deviceId, moduleId)
  conn.accepted(session, packet.keepalive ?? 0, auth.value.se)
  conn.write({ cmd: 'connack', returnCode: 0, sessionPresent: present })
  conn.log.info({ event: 'mqtt.connected', clean: packet.clean, sessionPresent: present, clientType: username.clientType }, 'client connected')
  if (session.subscriptions.has('methods')) deps.links.methodsReady(conn.deviceId, moduleId)
  if (session.subscriptions.has('c2d')) conn.c2dAvailable()
}
