/**
 * EventLog on the `events` table: the hub's hot path. One transaction and one INSERT per `append` call (the batch's
 * columns as arrays, unnested by the server), offsets from a counter row so they are never reused, and a running
 * total of body bytes so the size trim reads only the sizes of the rows it removes.
 */
import type { ApplicationProperties, SystemProperties } from '@ledge/protocol'
import type { EventInput, EventLog, EventRecord } from '@ledge/storage'
import type { Db } from './db.js'
import { limitOf } from './pg-errors.js'

interface EventRow {
  event_offset: number
  device_id: string
  module_id: string
  enqueued_time: number
  system_properties: string
  properties: string
  body: Buffer
}

const COLUMNS = 'event_offset, device_id, module_id, enqueued_time, system_properties, properties, body'

function fromRow(row: EventRow): EventRecord {
  return {
    offset: row.event_offset,
    deviceId: row.device_id,
    moduleId: row.module_id === '' ? null : row.module_id,
    enqueuedTime: row.enqueued_time,
    systemProperties: JSON.parse(row.system_properties) as SystemProperties,
    properties: JSON.parse(row.properties) as ApplicationProperties,
    body: row.body,
  }
}

/** A removal's tally: the rows and body bytes a DELETE … RETURNING size took. */
const TALLY = 'SELECT count(*) AS n, coalesce(sum(size), 0)::bigint AS bytes FROM removed'

export class PgEventLog implements EventLog {
  constructor(private readonly db: Db) {}

  async append(events: readonly EventInput[]): Promise<number[]> {
    if (events.length === 0) return []
    const bytes = events.reduce((sum, e) => sum + e.body.length, 0)
    return this.db.transaction(async (tx) => {
      // Takes the counter row's lock until commit: appends commit in offset order, whichever node makes them.
      const [{ next }] = (await tx.rows<{ next: number }>(
        'UPDATE event_log_state SET next_offset = next_offset + $1, total_bytes = total_bytes + $2 WHERE id = 1 RETURNING next_offset AS next',
        [events.length, bytes],
      )) as [{ next: number }]
      const first = next - events.length
      const offsets = events.map((_, i) => first + i)
      await tx.query(
        `INSERT INTO events (event_offset, device_id, module_id, enqueued_time, system_properties, properties, size, body)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::integer[], $8::bytea[])`,
        [
          offsets,
          events.map((e) => e.deviceId),
          events.map((e) => e.moduleId ?? ''),
          events.map((e) => e.enqueuedTime),
          events.map((e) => JSON.stringify(e.systemProperties)),
          events.map((e) => JSON.stringify(e.properties)),
          events.map((e) => e.body.length),
          events.map((e) => e.body),
        ],
      )
      return offsets
    })
  }

  async read(opts: { from: number; limit: number; deviceId?: string; moduleId?: string | null }): Promise<EventRecord[]> {
    const limit = limitOf(opts.limit)
    const rows =
      opts.deviceId === undefined
        ? await this.db.rows<EventRow>(`SELECT ${COLUMNS} FROM events WHERE event_offset >= $1 ORDER BY event_offset LIMIT $2`, [opts.from, limit])
        : opts.moduleId === undefined
          ? await this.db.rows<EventRow>(`SELECT ${COLUMNS} FROM events WHERE device_id = $1 AND event_offset >= $2 ORDER BY event_offset LIMIT $3`, [
              opts.deviceId,
              opts.from,
              limit,
            ])
          : await this.db.rows<EventRow>(
              `SELECT ${COLUMNS} FROM events WHERE device_id = $1 AND module_id = $2 AND event_offset >= $3 ORDER BY event_offset LIMIT $4`,
              [opts.deviceId, opts.moduleId ?? '', opts.from, limit],
            )
    return rows.map(fromRow)
  }

  async bounds(): Promise<{ first: number; next: number }> {
    const [row] = await this.db.rows<{ first: number | null; next: number }>(
      'SELECT (SELECT min(event_offset) FROM events) AS first, next_offset AS next FROM event_log_state WHERE id = 1',
    )
    return { first: row!.first ?? row!.next, next: row!.next }
  }

  async trim(opts: { olderThan?: number; maxBytes?: number }): Promise<number> {
    if (opts.olderThan === undefined && opts.maxBytes === undefined) return 0
    return this.db.transaction(async (tx) => {
      // The counter row's lock: no append changes the total while this trim reads and lowers it.
      const [{ total }] = (await tx.rows<{ total: number }>('SELECT total_bytes AS total FROM event_log_state WHERE id = 1 FOR UPDATE')) as [{ total: number }]
      let removed = 0
      let freed = 0
      if (opts.olderThan !== undefined) {
        const [older] = await tx.rows<{ n: number; bytes: number }>(
          `WITH removed AS (DELETE FROM events WHERE enqueued_time < $1 RETURNING size) ${TALLY}`,
          [opts.olderThan],
        )
        removed += older!.n
        freed += older!.bytes
      }
      const excess = opts.maxBytes === undefined ? 0 : total - freed - opts.maxBytes
      if (excess > 0) {
        // The oldest events whose sizes, summed in offset order, first reach the excess: delete through that one.
        const [sized] = await tx.rows<{ n: number; bytes: number }>(
          `WITH cut AS (
             SELECT event_offset FROM (SELECT event_offset, sum(size) OVER (ORDER BY event_offset) AS running FROM events) AS t
             WHERE running >= $1 ORDER BY event_offset LIMIT 1
           ), removed AS (DELETE FROM events WHERE event_offset <= (SELECT event_offset FROM cut) RETURNING size) ${TALLY}`,
          [excess],
        )
        removed += sized!.n
        freed += sized!.bytes
      }
      if (freed > 0) await tx.query('UPDATE event_log_state SET total_bytes = total_bytes - $1 WHERE id = 1', [freed])
      return removed
    })
  }
}
