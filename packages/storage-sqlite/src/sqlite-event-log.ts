/**
 * EventLog on the `events` table: the hub's hot path. One transaction per `append` call (a batch of ~100 events
 * costs one commit), offsets from a counter row so they are never reused, and a running total of body bytes so the
 * size trim walks only the rows it removes.
 */
import type Database from 'better-sqlite3'
import type { EventInput, EventLog, EventRecord } from '@ledge/storage'
import { eventFromRow as fromRow, type EventRow } from '@ledge/storage/sql-rows'
import type { WriteGate } from './wal-checkpointer.js'

const COLUMNS = 'offset, device_id, module_id, enqueued_time, system_properties, properties, body'

function prepare(db: Database.Database) {
  const q = <R>(sql: string) => db.prepare<unknown[], R>(sql)
  return {
    state: q<{ next_offset: number; total_bytes: number }>('SELECT next_offset, total_bytes FROM event_log_state WHERE id = 1'),
    advance: q('UPDATE event_log_state SET next_offset = ?, total_bytes = total_bytes + ? WHERE id = 1'),
    shrink: q('UPDATE event_log_state SET total_bytes = total_bytes - ? WHERE id = 1'),
    insert: q(`INSERT INTO events (offset, device_id, module_id, enqueued_time, system_properties, properties, size, body)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    readAll: q<EventRow>(`SELECT ${COLUMNS} FROM events WHERE offset >= ? ORDER BY offset LIMIT ?`),
    readDevice: q<EventRow>(`SELECT ${COLUMNS} FROM events WHERE device_id = ? AND offset >= ? ORDER BY offset LIMIT ?`),
    readModule: q<EventRow>(`SELECT ${COLUMNS} FROM events WHERE device_id = ? AND module_id = ? AND offset >= ? ORDER BY offset LIMIT ?`),
    bounds: q<{ first: number | null; next: number }>('SELECT (SELECT min(offset) FROM events) AS first, next_offset AS next FROM event_log_state WHERE id = 1'),
    olderStats: q<{ n: number; bytes: number }>('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM events WHERE enqueued_time < ?'),
    deleteOlder: q('DELETE FROM events WHERE enqueued_time < ?'),
    oldest: q<{ offset: number; size: number }>('SELECT offset, size FROM events ORDER BY offset'),
    deleteThrough: q('DELETE FROM events WHERE offset <= ?'),
  }
}

type Statements = ReturnType<typeof prepare>

/** Removes the oldest events until the bodies total at most `maxBytes`; returns [events, bytes] removed. */
function trimToSize(s: Statements, total: number, maxBytes: number): [number, number] {
  if (total <= maxBytes) return [0, 0]
  let removed = 0
  let freed = 0
  let through: number | undefined
  for (const row of s.oldest.iterate()) {
    removed++
    freed += row.size
    through = row.offset
    if (total - freed <= maxBytes) break
  }
  if (through !== undefined) s.deleteThrough.run(through)
  return [removed, freed]
}

export class SqliteEventLog implements EventLog {
  private readonly s: Statements
  private readonly appendTx: Database.Transaction<(events: readonly EventInput[]) => number[]>
  private readonly trimTx: Database.Transaction<(olderThan: number | undefined, maxBytes: number | undefined) => number>

  /** `gate`: appends wait while the WAL checkpoint thread resets the WAL. */
  constructor(
    db: Database.Database,
    private readonly gate?: WriteGate,
  ) {
    const s = (this.s = prepare(db))
    this.appendTx = db.transaction((events) => {
      let offset = s.state.get()!.next_offset
      let bytes = 0
      const offsets = new Array<number>(events.length)
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!
        s.insert.run(offset, e.deviceId, e.moduleId ?? '', e.enqueuedTime, JSON.stringify(e.systemProperties), JSON.stringify(e.properties), e.body.length, e.body)
        bytes += e.body.length
        offsets[i] = offset++
      }
      s.advance.run(offset, bytes)
      return offsets
    })
    this.trimTx = db.transaction((olderThan, maxBytes) => {
      let removed = 0
      let freed = 0
      if (olderThan !== undefined) {
        const older = s.olderStats.get(olderThan)!
        if (older.n > 0) {
          s.deleteOlder.run(olderThan)
          removed += older.n
          freed += older.bytes
        }
      }
      if (maxBytes !== undefined) {
        const [n, bytes] = trimToSize(s, s.state.get()!.total_bytes - freed, maxBytes)
        removed += n
        freed += bytes
      }
      if (freed > 0) s.shrink.run(freed)
      return removed
    })
  }

  async append(events: readonly EventInput[]): Promise<number[]> {
    if (events.length === 0) return []
    const held = this.gate?.held
    if (held) await held
    return this.appendTx.immediate(events)
  }

  async read(opts: { from: number; limit: number; deviceId?: string; moduleId?: string | null }): Promise<EventRecord[]> {
    const limit = Math.max(0, opts.limit)
    if (opts.deviceId === undefined) return this.s.readAll.all(opts.from, limit).map(fromRow)
    if (opts.moduleId === undefined) return this.s.readDevice.all(opts.deviceId, opts.from, limit).map(fromRow)
    return this.s.readModule.all(opts.deviceId, opts.moduleId ?? '', opts.from, limit).map(fromRow)
  }

  async bounds(): Promise<{ first: number; next: number }> {
    const { first, next } = this.s.bounds.get()!
    return { first: first ?? next, next }
  }

  async trim(opts: { olderThan?: number; maxBytes?: number }): Promise<number> {
    if (opts.olderThan === undefined && opts.maxBytes === undefined) return 0
    return this.trimTx.immediate(opts.olderThan, opts.maxBytes)
  }
}
