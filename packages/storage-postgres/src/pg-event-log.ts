/**
 * EventLog on the `events` table: the hub's hot path. One statement per `append` call (the batch's columns as arrays,
 * unnested by the server), offsets from a counter row so they are never reused, and a running total of body bytes so
 * the size trim reads only the sizes of the rows it removes.
 */
import type { EventInput, EventLog, EventRecord } from '@ledge/storage'
import { eventFromRow as fromRow, type EventRow } from '@ledge/storage/sql-rows'
import { limitOf, type Db } from './db.js'

// `offset` is a reserved word in PostgreSQL: the column is event_offset, read back under the shared row's name.
const COLUMNS = 'event_offset AS "offset", device_id, module_id, enqueued_time, system_properties, properties, body'

/** A removal's tally: the rows and body bytes a DELETE … RETURNING size took. */
const TALLY = 'SELECT count(*) AS n, coalesce(sum(size), 0)::bigint AS bytes FROM removed'

export class PgEventLog implements EventLog {
  constructor(private readonly db: Db) {}

  async append(events: readonly EventInput[]): Promise<number[]> {
    if (events.length === 0) return []
    // The bodies go as one bytea cut up by the server (substring by start and size): node-postgres writes an array of
    // byteas element by element, which cost the hub ~2× the CPU per event in a profile of 512-event batches.
    const bodies = Buffer.concat(events.map((e) => e.body))
    const starts = new Array<number>(events.length)
    for (let i = 0, at = 1; i < events.length; at += events[i]!.body.length, i++) starts[i] = at
    // One statement, so one round trip: the counter row's lock (taken by the UPDATE, held until the statement
    // commits) makes appends from every hub node commit in offset order. Row i of the batch gets offset first + i.
    const rows = await this.db.rows<{ event_offset: number }>(
      `WITH counter AS (
         UPDATE event_log_state SET next_offset = next_offset + $8, total_bytes = total_bytes + $9 WHERE id = 1 RETURNING next_offset - $8 AS first
       )
       INSERT INTO events (event_offset, device_id, module_id, enqueued_time, system_properties, properties, size, body)
       SELECT counter.first + e.i - 1, e.device_id, e.module_id, e.enqueued_time, e.system_properties, e.properties, e.size, substring($6::bytea FROM e.start FOR e.size)
       FROM counter, unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $7::integer[], $10::integer[])
         WITH ORDINALITY AS e(device_id, module_id, enqueued_time, system_properties, properties, start, size, i)
       RETURNING event_offset`,
      [
        events.map((e) => e.deviceId),
        events.map((e) => e.moduleId ?? ''),
        events.map((e) => e.enqueuedTime),
        events.map((e) => JSON.stringify(e.systemProperties)),
        events.map((e) => JSON.stringify(e.properties)),
        bodies,
        starts,
        events.length,
        bodies.length,
        events.map((e) => e.body.length),
      ],
    )
    let first = Infinity
    for (const r of rows) if (r.event_offset < first) first = r.event_offset
    return events.map((_, i) => first + i)
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
