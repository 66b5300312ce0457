/** Every SQL statement of the SQLite store, prepared once. */
import type Database from 'better-sqlite3'

export function prepare(db: Database.Database) {
  const q = <R>(sql: string) => db.prepare<unknown[], R>(sql)
  return {
    meta: q<{ next_seq: number; messages: number }>('SELECT next_seq, messages FROM meta WHERE id = 1'),
    setMeta: q('UPDATE meta SET next_seq = ?, messages = messages + ? WHERE id = 1'),
    queues: q<{ id: number; endpoint_id: string; priority: number; checkpoint: number }>('SELECT id, endpoint_id, priority, checkpoint FROM queues'),
    queueLength: q<{ n: number }>('SELECT count(*) AS n FROM refs WHERE queue_id = ?'),
    insertQueue: q('INSERT INTO queues (endpoint_id, priority) VALUES (?, ?)'),
    setCheckpoint: q('UPDATE queues SET checkpoint = ? WHERE id = ?'),
    deleteQueue: q('DELETE FROM queues WHERE id = ?'),
    insertMessage: q('INSERT INTO messages (seq, enqueued_at, refs, header, body) VALUES (?, ?, ?, ?, ?)'),
    insertRef: q('INSERT INTO refs (queue_id, seq, expires_at) VALUES (?, ?, ?)'),
    read: q<{ seq: number; expires_at: number; enqueued_at: number; header: string; body: Buffer }>(
      `SELECT r.seq, r.expires_at, m.enqueued_at, m.header, m.body FROM refs r JOIN messages m ON m.seq = r.seq
       WHERE r.queue_id = ? AND r.seq >= ? AND r.expires_at > ? ORDER BY r.seq LIMIT ?`,
    ),
    // Checkpoint / queue removal: set-based over the queue's range.
    unrefThrough: q('UPDATE messages SET refs = refs - 1 WHERE seq IN (SELECT seq FROM refs WHERE queue_id = @q AND seq <= @t)'),
    deleteUnreferencedThrough: q('DELETE FROM messages WHERE refs <= 0 AND seq IN (SELECT seq FROM refs WHERE queue_id = @q AND seq <= @t)'),
    deleteRefsThrough: q('DELETE FROM refs WHERE queue_id = ? AND seq <= ?'),
    // Drop-oldest: a prefix of offsets.
    oldest: q<{ seq: number; n: number }>('SELECT seq, length(header) + length(body) AS n FROM messages ORDER BY seq'),
    deleteMessagesThrough: q('DELETE FROM messages WHERE seq <= ?'),
    // TTL cleaner.
    earliestExpiry: q<{ t: number | null }>('SELECT min(expires_at) AS t FROM refs'),
    expired: q<{ queue_id: number; seq: number }>('SELECT queue_id, seq FROM refs WHERE expires_at <= ? ORDER BY expires_at LIMIT ?'),
    deleteRef: q('DELETE FROM refs WHERE queue_id = ? AND seq = ?'),
    unrefOne: q('UPDATE messages SET refs = refs - 1 WHERE seq = ?'),
    deleteIfUnreferenced: q('DELETE FROM messages WHERE seq = ? AND refs <= 0'),
  }
}

export type Statements = ReturnType<typeof prepare>
