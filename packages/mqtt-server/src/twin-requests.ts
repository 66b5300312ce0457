/**
 * Answers to a client's twin requests (`$iothub/twin/GET/`, `$iothub/twin/PATCH/properties/reported/`), the same
 * for the hub and the edge hub: they differ only in where the twin is read and written.
 */
import { AppError, HTTP_STATUS, isAppError } from '@ledge/common'
import { twinResponseTopic } from '@ledge/protocol'
import type { IotMqttConnection } from './connection.js'

function answerError(conn: IotMqttConnection, rid: string, err: unknown): void {
  const status = isAppError(err) ? HTTP_STATUS[err.kind] : 500
  const message = isAppError(err) ? err.message : 'internal error'
  if (!isAppError(err)) conn.log.error({ err, event: 'twin.failed' }, 'twin request failed')
  // The SDK ignores the status segment: only a body with errorCode marks a failure (azure-sdk-wire.md §5).
  conn.publish(twinResponseTopic(status, rid), JSON.stringify({ errorCode: status, message }), 0)
}

/** GET: 200 with the twin document `read` gives, or the error. */
export async function answerTwinGet(conn: IotMqttConnection, rid: string, read: () => Promise<unknown>): Promise<void> {
  try {
    conn.publish(twinResponseTopic(200, rid), JSON.stringify(await read()), 0)
  } catch (err) {
    answerError(conn, rid, err)
  }
}

/** PATCH reported: 204 with the new version `write` returns; a body that is not JSON is a 400. */
export async function answerTwinPatch(conn: IotMqttConnection, rid: string, payload: Buffer, write: (patch: unknown) => Promise<number>): Promise<void> {
  let patch: unknown
  try {
    patch = JSON.parse(payload.toString('utf8'))
  } catch (err) {
    return answerError(conn, rid, new AppError('ArgumentInvalid', 'invalid', `reported properties are not valid JSON: ${(err as Error).message}`))
  }
  try {
    conn.publish(twinResponseTopic(204, rid, await write(patch)), '', 0)
  } catch (err) {
    answerError(conn, rid, err)
  }
}
