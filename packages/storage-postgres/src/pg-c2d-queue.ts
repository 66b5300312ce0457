/**
 * C2dQueue on the `c2d_messages` table. A message is expired once `now > expiry_time`; `enqueue` checks the depth
 * at the new message's `enqueuedTime` (the port gives it no other clock). Hub nodes may enqueue for one device at
 * once: a transaction-scoped advisory lock on the device makes the depth check and the insert one step.
 */
import { storeErrors, type C2dInput, type C2dQueue, type C2dRecord } from '@ledge/storage'
import { c2dFromRow as fromRow, type C2dRow } from '@ledge/storage/sql-rows'
import { limitOf, type Db } from './db.js'

const COLUMNS = 'seq, device_id, enqueued_time, expiry_time, delivery_count, system_properties, properties, body'
const LIVE = 'SELECT count(*) AS n FROM c2d_messages WHERE device_id = $1 AND expiry_time >= $2'

export class PgC2dQueue implements C2dQueue {
  constructor(private readonly db: Db) {}

  async enqueue(m: C2dInput, maxDepth: number): Promise<C2dRecord> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ledge-c2d:${m.deviceId}`])
      const [{ n: depth }] = (await tx.rows<{ n: number }>(LIVE, [m.deviceId, m.enqueuedTime])) as [{ n: number }]
      if (depth >= maxDepth) throw storeErrors.queueFull(m.deviceId, depth)
      const [{ seq }] = (await tx.rows<{ seq: number }>(
        `INSERT INTO c2d_messages (device_id, enqueued_time, expiry_time, system_properties, properties, body)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
        [m.deviceId, m.enqueuedTime, m.expiryTime, JSON.stringify(m.systemProperties), JSON.stringify(m.properties), m.body],
      )) as [{ seq: number }]
      return { ...m, seq, deliveryCount: 0 }
    })
  }

  async pending(deviceId: string, now: number, limit: number): Promise<C2dRecord[]> {
    const rows = await this.db.rows<C2dRow>(`SELECT ${COLUMNS} FROM c2d_messages WHERE device_id = $1 AND expiry_time >= $2 ORDER BY seq LIMIT $3`, [
      deviceId,
      now,
      limitOf(limit),
    ])
    return rows.map(fromRow)
  }

  async complete(deviceId: string, seq: number): Promise<boolean> {
    return (await this.db.query('DELETE FROM c2d_messages WHERE device_id = $1 AND seq = $2', [deviceId, seq])).rowCount > 0
  }

  async markDelivered(deviceId: string, seq: number): Promise<void> {
    await this.db.query('UPDATE c2d_messages SET delivery_count = delivery_count + 1 WHERE device_id = $1 AND seq = $2', [deviceId, seq])
  }

  async count(deviceId: string, now: number): Promise<number> {
    const [row] = await this.db.rows<{ n: number }>(LIVE, [deviceId, now])
    return row!.n
  }

  async purge(deviceId: string): Promise<number> {
    return (await this.db.query('DELETE FROM c2d_messages WHERE device_id = $1', [deviceId])).rowCount
  }

  async expire(now: number): Promise<number> {
    return (await this.db.query('DELETE FROM c2d_messages WHERE expiry_time < $1', [now])).rowCount
  }
}
