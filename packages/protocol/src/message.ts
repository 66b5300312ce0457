/**
 * A message as it travels through Ledge (telemetry, module outputs and inputs, C2D): a body plus
 * system properties (IoT Hub's well-known ones) and application properties (strings).
 */

export interface SystemProperties {
  messageId?: string
  correlationId?: string
  userId?: string
  to?: string
  contentType?: string
  contentEncoding?: string
  /** ISO 8601; the message is dropped after this instant. */
  expiryTimeUtc?: string
  creationTimeUtc?: string
  interfaceId?: string
  /** `dt-subject` on the wire: the component that sent the message. */
  componentName?: string
  messageSchema?: string
  /** Set by the module that sent the message (`$.on`). */
  outputName?: string
  /** Set by the hub: who sent the message over which connection. */
  connectionDeviceId?: string
  connectionModuleId?: string
  connectionAuthMethod?: string
  /** Set by the hub when the message is accepted. */
  enqueuedTimeUtc?: string
  /** Set on delivery to a module input. */
  inputName?: string
}

export type ApplicationProperties = Record<string, string>

export interface Message {
  body: Buffer
  systemProperties: SystemProperties
  properties: ApplicationProperties
}

/**
 * The short wire keys of IoT Hub's MQTT property bags, and the system property each stands for.
 * Reference: azure-sdk-wire.md §5 and azure-iotedge.md §5.
 */
export const WIRE_SYSTEM_KEYS: Readonly<Record<string, keyof SystemProperties>> = {
  '$.mid': 'messageId',
  '$.cid': 'correlationId',
  '$.uid': 'userId',
  '$.to': 'to',
  '$.ct': 'contentType',
  '$.ce': 'contentEncoding',
  '$.exp': 'expiryTimeUtc',
  '$.ctime': 'creationTimeUtc',
  '$.ifid': 'interfaceId',
  '$.sub': 'componentName',
  '$.schema': 'messageSchema',
  '$.on': 'outputName',
  '$.cdid': 'connectionDeviceId',
  '$.cmid': 'connectionModuleId',
}

export const SYSTEM_WIRE_KEYS: Readonly<Partial<Record<keyof SystemProperties, string>>> = Object.fromEntries(
  Object.entries(WIRE_SYSTEM_KEYS).map(([wire, name]) => [name, wire]),
)
