/**
 * The checks of an IoT Hub CONNECT that need no identity store: MQTT 3.1.1, the username
 * `{host}/{deviceId}[/{moduleId}]/?api-version=…`, and a client id equal to `device` or `device/module`.
 */
import type { IConnectPacket } from 'mqtt-packet'
import { parseMqttUsername, type MqttUsername } from '@ledge/protocol'

export type ConnectCheck =
  | { ok: true; deviceId: string; moduleId: string | null; username: MqttUsername; password: string | undefined }
  | { ok: false; returnCode: 1 | 2 | 4; reason: string }

export function checkConnect(packet: IConnectPacket): ConnectCheck {
  if (packet.protocolVersion !== 4) return { ok: false, returnCode: 1, reason: `MQTT protocol level ${packet.protocolVersion} is not supported: use MQTT 3.1.1` }
  const username = packet.username ? parseMqttUsername(packet.username) : undefined
  if (!username) return { ok: false, returnCode: 4, reason: `username '${packet.username ?? ''}' is not '{hostname}/{deviceId}[/{moduleId}]/?api-version=…'` }
  const expectedClientId = username.moduleId ? `${username.deviceId}/${username.moduleId}` : username.deviceId
  if (packet.clientId !== expectedClientId) {
    return { ok: false, returnCode: 2, reason: `client id '${packet.clientId}' must be '${expectedClientId}', the identity in the username` }
  }
  const password = packet.password === undefined ? undefined : packet.password.toString('utf8')
  return { ok: true, deviceId: username.deviceId, moduleId: username.moduleId ?? null, username, password }
}
