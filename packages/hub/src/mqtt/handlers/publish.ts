/**
 * PUBLISH from a client: telemetry (stored in the events stream before PUBACK), twin requests and method
 * responses. A topic the client may not use closes the connection, as IoT Hub does.
 */
import type { IPublishPacket } from 'mqtt-packet'
import { MAX_D2C_MESSAGE_BYTES, parseInboundTopic, type SystemProperties } from '@ledge/protocol'
import { answerTwinGet, answerTwinPatch } from '@ledge/mqtt-server'
import type { AppendWaiter } from '../../events/event-stream.js'
import type { MqttConnection } from '../connection.js'

const SAS_AUTH_METHOD = '{"scope":"device","type":"sas","issuer":"iothub"}'

export function handlePublish(conn: MqttConnection, packet: IPublishPacket): void {
  const what = parseInboundTopic(packet.topic, conn.identity)
  conn.deps.presence.touch(conn.deviceId, conn.moduleId)
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
  switch (what.kind) {
    case 'rejected':
      return conn.close(what.reason)
    case 'telemetry':
      return acceptTelemetry(conn, packet, payload, what.systemProperties, what.properties)
    case 'twinGet':
      return void answerTwinGet(conn, what.rid, () => conn.deps.twins.getForDevice(conn.deviceId, conn.moduleId))
    case 'twinPatchReported':
      return void answerTwinPatch(conn, what.rid, payload, (patch) => conn.deps.twins.patchReported(conn.deviceId, conn.moduleId, patch))
    case 'methodResponse':
      conn.deps.methods.respond(conn.deviceId, conn.moduleId, what.rid, what.status, payload)
      return
  }
}

function acceptTelemetry(conn: MqttConnection, packet: IPublishPacket, body: Buffer, sys: SystemProperties, props: Record<string, string>): void {
  // IoT Hub counts the body and the properties against the 256 KB limit.
  const size = body.length + Buffer.byteLength(packet.topic)
  if (size > MAX_D2C_MESSAGE_BYTES) return conn.close(`message of ${size} bytes is larger than the limit of ${MAX_D2C_MESSAGE_BYTES} bytes`)
  const now = conn.deps.clock.now()
  if (sys.expiryTimeUtc && Date.parse(sys.expiryTimeUtc) <= now) {
    // Already expired: acknowledged and dropped, as IoT Hub does.
    conn.log.debug({ event: 'telemetry.expired', messageId: sys.messageId }, 'expired telemetry dropped')
    conn.puback(packet.messageId)
    return
  }
  const systemProperties: SystemProperties = {
    ...sys,
    connectionDeviceId: conn.deviceId,
    ...(conn.moduleId ? { connectionModuleId: conn.moduleId } : {}),
    connectionAuthMethod: SAS_AUTH_METHOD,
    enqueuedTimeUtc: isoTime(now),
  }
  conn.publishStarted()
  conn.deps.events.enqueue(
    { deviceId: conn.deviceId, moduleId: conn.moduleId, enqueuedTime: now, systemProperties, properties: props, body },
    new PubackWhenStored(conn, packet.messageId),
  )
}

/** Acknowledges one PUBLISH once its event is durable. */
class PubackWhenStored implements AppendWaiter {
  constructor(
    private readonly conn: MqttConnection,
    private readonly messageId: number | undefined,
  ) {}

  stored(): void {
    this.conn.publishFinished()
    this.conn.puback(this.messageId)
  }

  failed(err: unknown): void {
    this.conn.publishFinished()
    // Not acknowledged: the client sends it again after reconnecting, so nothing is lost.
    this.conn.log.error({ err, event: 'telemetry.store_failed' }, 'telemetry could not be stored')
    this.conn.close('the hub could not store the message')
  }
}

let isoMs = Number.NaN
let isoText = ''

/** `new Date(ms).toISOString()`, computed once per millisecond: many messages arrive in the same one. */
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoMs = ms
    isoText = new Date(ms).toISOString()
  }
  return isoText
}
