/**
 * C2dQueue on the `c2d_messages` table. A message is expired once `now > expiry_time`; `enqueue` checks the depth
 * at the new message's `enqueuedTime` (the port gives it no other clock).
 */
import type Database from 'better-sqlite3'
import { storeErrors, type C2dInput, type C2dQueue, type C2dRecord } from '@ledge/storage'
import { c2dFromRow as fromRow, type C2dRow } from '@ledge/storage/sql-rows'

const COLUMNS = 'seq, device_id, enqueued_time, expiry_time, delivery_count, system_properties, properties, body'

function prepare(db: Database.Database) {
  const q = <R>(sql: string) => db.prepare<unknown[], R>(sql)
  return {
    live: q<number>('SELECT count(*) FROM c2d_messages WHERE device_id = ? AND expiry_time >= ?').pluck(),
    insert: q(`INSERT INTO c2d_messages (device_id, enqueued_time, expiry_time, system_properties, properties, body)
               VALUES (?, ?, ?, ?, ?, ?)`),
    pending: q<C2dRow>(`SELECT ${COLUMNS} FROM c2d_messages WHERE device_id = ? AND expiry_time >= ? ORDER BY seq LIMIT ?`),
    complete: q('DELETE FROM c2d_messages WHERE device_id = ? AND seq = ?'),
    delivered: q('UPDATE c2d_messages SET delivery_count = delivery_count + 1 WHERE device_id = ? AND seq = ?'),
    purge: q('DELETE FROM c2d_messages WHERE device_id = ?'),
    expire: q('DELETE FROM c2d_messages WHERE expiry_time < ?'),
  }
}

export class SqliteC2dQueue implements C2dQueue {
  private readonly s: ReturnType<typeof prepare>
  private readonly enqueueTx: Database.Transaction<(message: C2dInput, maxDepth: number) => C2dRecord>

  constructor(db: Database.Database) {
    const s = (this.s = prepare(db))
    this.enqueueTx = db.transaction((m, maxDepth) => {
      const depth = s.live.get(m.deviceId, m.enqueuedTime)!
      if (depth >= maxDepth) throw storeErrors.queueFull(m.deviceId, depth)
      const { lastInsertRowid } = s.insert.run(m.deviceId, m.enqueuedTime, m.expiryTime, JSON.stringify(m.systemProperties), JSON.stringify(m.properties), m.body)
      return { ...m, seq: Number(lastInsertRowid), deliveryCount: 0 }
    })
  }

  async enqueue(message: C2dInput, maxDepth: number): Promise<C2dRecord> {
    return this.enqueueTx.immediate(message, maxDepth)
  }

  async pending(deviceId: string, now: number, limit: number): Promise<C2dRecord[]> {
    return this.s.pending.all(deviceId, now, Math.max(0, limit)).map(fromRow)
  }

  async complete(deviceId: string, seq: number): Promise<boolean> {
    return this.s.complete.run(deviceId, seq).changes > 0
  }

  async markDelivered(deviceId: string, seq: number): Promise<void> {
    this.s.delivered.run(deviceId, seq)
  }

  async count(deviceId: string, now: number): Promise<number> {
    return this.s.live.get(deviceId, now)!
  }

  async purge(deviceId: string): Promise<number> {
    return this.s.purge.run(deviceId).changes
  }

  async expire(now: number): Promise<number> {
    return this.s.expire.run(now).changes
  }
}
