/**
 * Telemetry as the edge hub sends it upstream: the sender's own topic (`devices/{d}[/modules/{m}]/messages/events/`)
 * with a property bag of the application properties and the system properties the cloud must see.
 */
import { formatPropertyBag, MAX_D2C_MESSAGE_BYTES, type Message, type SystemProperties } from '@ledge/protocol'
import type { ClientIdentity } from '../identity.js'

/**
 * The system properties passed upstream. `connectionDeviceId`/`connectionModuleId` are overwritten by the hub from
 * the connection, which is the sender's own, so they match; `to`, `enqueuedTimeUtc`, `inputName` and
 * `connectionAuthMethod` belong to the local hop and stay behind.
 */
export const UPSTREAM_SYSTEM_PROPERTIES: readonly (keyof SystemProperties)[] = [
  'messageId', 'correlationId', 'userId', 'contentType', 'contentEncoding', 'expiryTimeUtc', 'creationTimeUtc',
  'interfaceId', 'componentName', 'messageSchema', 'outputName', 'connectionDeviceId', 'connectionModuleId',
]

export function telemetryTopic(identity: ClientIdentity, message: Pick<Message, 'systemProperties' | 'properties'>): string {
  const base = identity.moduleId ? `devices/${identity.deviceId}/modules/${identity.moduleId}/messages/events/` : `devices/${identity.deviceId}/messages/events/`
  return base + formatPropertyBag(message.systemProperties, message.properties, UPSTREAM_SYSTEM_PROPERTIES)
}

/** What IoT Hub counts against its 256 KB limit (body plus topic); the hub closes the connection over it. */
export function upstreamSize(identity: ClientIdentity, message: Message): number {
  return message.body.length + Buffer.byteLength(telemetryTopic(identity, message))
}

export function tooLargeForHub(identity: ClientIdentity, message: Message): boolean {
  return upstreamSize(identity, message) > MAX_D2C_MESSAGE_BYTES
}

/** The sender of a routed message: its connection ids, set by the edge hub when it accepted the message. */
export function senderOf(message: Message): ClientIdentity | undefined {
  const d = message.systemProperties.connectionDeviceId
  if (!d) return undefined
  const m = message.systemProperties.connectionModuleId
  return m ? { deviceId: d, moduleId: m } : { deviceId: d }
}
