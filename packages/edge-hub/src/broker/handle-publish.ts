/**
 * PUBLISH from a client: telemetry and module outputs go to the router, which stores them for every endpoint their
 * routes reach before the PUBACK (a store that is full refuses: the connection is closed with the reason, and the
 * SDK retries later); twin requests go to the local twins; method responses to the call waiting for them.
 */
import type { IPublishPacket } from 'mqtt-packet'
import { isAppError } from '@ledge/common'
import { MAX_D2C_MESSAGE_BYTES, messageSourceOf, parseInboundTopic, type SystemProperties } from '@ledge/protocol'
import { answerTwinGet, answerTwinPatch } from '@ledge/mqtt-server'
import { identityOf } from '../identity.js'
import type { EdgeConnection } from './connection.js'

export function handlePublish(conn: EdgeConnection, packet: IPublishPacket): void {
  const id = { deviceId: conn.deviceId, ...(conn.moduleId ? { moduleId: conn.moduleId } : {}) }
  const what = parseInboundTopic(packet.topic, id)
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
  switch (what.kind) {
    case 'rejected':
      return conn.close(what.reason)
    case 'telemetry':
      return acceptTelemetry(conn, packet, payload, what.systemProperties, what.properties)
    case 'twinGet':
      return void answerTwinGet(conn, what.rid, () => conn.deps.twins.get(identityOf(conn.deviceId, conn.moduleId)))
    case 'twinPatchReported':
      return void answerTwinPatch(conn, what.rid, payload, (patch) => conn.deps.twins.patchReported(identityOf(conn.deviceId, conn.moduleId), patch))
    case 'methodResponse':
      return conn.methodAnswered(what.rid, what.status, payload)
  }
}

function acceptTelemetry(conn: EdgeConnection, packet: IPublishPacket, body: Buffer, sys: SystemProperties, properties: Record<string, string>): void {
  const size = body.length + Buffer.byteLength(packet.topic)
  if (size > MAX_D2C_MESSAGE_BYTES) return conn.close(`message of ${size} bytes is larger than the limit of ${MAX_D2C_MESSAGE_BYTES} bytes`)
  const systemProperties: SystemProperties = {
    ...sys,
    connectionDeviceId: conn.deviceId,
    ...(conn.moduleId ? { connectionModuleId: conn.moduleId } : {}),
  }
  if (!conn.moduleId) delete systemProperties.outputName // only modules have outputs
  const message = { body, systemProperties, properties, source: messageSourceOf(systemProperties) }
  conn.deps.metrics.messageReceived(identityOf(conn.deviceId, conn.moduleId))
  conn.publishStarted()
  conn.deps.router.route(message).then(
    () => {
      conn.publishFinished()
      if (packet.qos === 1) conn.puback(packet.messageId)
    },
    (err: unknown) => {
      conn.publishFinished()
      // Not acknowledged: the SDK sends it again after reconnecting, and nothing already stored is touched.
      const reason = isAppError(err) ? err.message : 'the edge hub could not store the message'
      if (!isAppError(err)) conn.log.error({ err, event: 'telemetry.store_failed' }, 'a message could not be stored')
      else conn.log.warn({ event: 'telemetry.refused', code: err.code }, reason)
      conn.close(reason)
    },
  )
}
