/**
 * PUBLISH from a client: telemetry and module outputs go to the router, which stores them for every endpoint their
 * routes reach before the PUBACK (a store that is full refuses: the connection is closed with the reason, and the
 * SDK retries later); twin requests go to the local twins; method responses to the call waiting for them.
 */
import type { IPublishPacket } from 'mqtt-packet'
import { isAppError, HTTP_STATUS } from '@ledge/common'
import { MAX_D2C_MESSAGE_BYTES, messageSourceOf, parseInboundTopic, twinResponseTopic, type SystemProperties } from '@ledge/protocol'
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
      return void twinGet(conn, what.rid)
    case 'twinPatchReported':
      return void twinPatch(conn, what.rid, payload)
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

function twinError(conn: EdgeConnection, rid: string, err: unknown): void {
  const status = isAppError(err) ? HTTP_STATUS[err.kind] : 500
  const message = isAppError(err) ? err.message : 'internal error'
  if (!isAppError(err)) conn.log.error({ err, event: 'twin.failed' }, 'twin request failed')
  // The SDK ignores the status segment: only a body with errorCode marks a failure (azure-sdk-wire.md §5).
  conn.publish(twinResponseTopic(status, rid), JSON.stringify({ errorCode: status, message }), 0)
}

async function twinGet(conn: EdgeConnection, rid: string): Promise<void> {
  try {
    const doc = await conn.deps.twins.get(identityOf(conn.deviceId, conn.moduleId))
    conn.publish(twinResponseTopic(200, rid), JSON.stringify(doc), 0)
  } catch (err) {
    twinError(conn, rid, err)
  }
}

async function twinPatch(conn: EdgeConnection, rid: string, payload: Buffer): Promise<void> {
  let patch: unknown
  try {
    patch = JSON.parse(payload.toString('utf8'))
  } catch (err) {
    return twinError(conn, rid, conn.deps.twins.invalid(`reported properties are not valid JSON: ${(err as Error).message}`))
  }
  try {
    const version = await conn.deps.twins.patchReported(identityOf(conn.deviceId, conn.moduleId), patch)
    conn.publish(twinResponseTopic(204, rid, version), '', 0)
  } catch (err) {
    twinError(conn, rid, err)
  }
}
