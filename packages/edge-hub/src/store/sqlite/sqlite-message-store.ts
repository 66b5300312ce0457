/**
 * MessageStore on SQLite (better-sqlite3, WAL). One transaction per group commit; `durability: 'fsync'` is
 * `synchronous=FULL` (the WAL is fsynced at each commit), `'os'` is `synchronous=NORMAL`.
 *
 * The driver is synchronous: a commit, its fsync included, runs on the event loop. Incoming packets wait in the
 * socket buffers meanwhile and form the next group commit.
 *
 * Quota: the pages in use (`page_count - freelist_count`, measured after each commit) plus a reserve for the WAL
 * (its auto-checkpoint threshold and one batch, `journal_size_limit` truncating it back) and the `-shm` file must
 * stay within `maxBytes`. Within a batch, each message counts for a pessimistic estimate until the next measure.
 * Freed pages are given back to the file system by `incremental_vacuum` in the cleaner.
 */
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Message } from '@ledge/protocol'
import { decodeMessage, encodeHeader } from '../codec.js'
import { DiskGuard } from '../disk-guard.js'
import { errors } from '../errors.js'
import { ExpiryTimer } from '../expiry-timer.js'
import { GroupCommit } from '../group-commit.js'
import type { MessageStore, QueuedMessage, QueueStats, QueueTarget, ReadOptions, StoredRef, StoreStats } from '../message-store.js'
import { countQueued, fromStoredExpiry, NEVER, queueKey, resolveOptions, toStoredExpiry, type EngineOptions, type ResolvedOptions } from '../options.js'
import { migrate } from './schema.js'
import { prepare, type Statements } from './statements.js'

export const SQLITE_FILE = 'messages.db'
const PAGE = 4096
const SHM_BYTES = 32 * 1024
/** Rows the cleaner removes per transaction: bounded event-loop time and WAL growth. */
const CLEAN_BATCH = 500

interface Queue {
  id: number
  endpointId: string
  priority: number
  checkpoint: number
  length: number
}

type Item =
  | { kind: 'add'; header: string; body: Buffer; targets: QueueTarget[]; est: number; resolve: (r: StoredRef) => void; reject: (e: unknown) => void }
  | { kind: 'checkpoint'; endpointId: string; priority: number; offset: number; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'remove'; endpointId: string; priority: number; resolve: () => void; reject: (e: unknown) => void }

export interface SqliteMessageStoreOptions extends EngineOptions {
  /** Items per group commit. Default 2000. */
  maxBatchItems?: number
}

/** Opens (creating if needed) the store in `dir/messages.db`. */
export function openSqliteMessageStore(options: SqliteMessageStoreOptions): SqliteMessageStore {
  return new SqliteMessageStore(options)
}

export class SqliteMessageStore implements MessageStore {
  readonly engine = 'sqlite'
  private readonly o: ResolvedOptions
  private readonly db: Database.Database
  private readonly s: Statements
  private readonly file: string
  private readonly queues = new Map<string, Queue>()
  private readonly commits: GroupCommit<Item>
  private readonly cleaner: ExpiryTimer
  private readonly disk: DiskGuard
  /** WAL + one batch + -shm: what the quota keeps aside besides the pages in use. */
  private readonly reserve: number
  private readonly maxBatchBytes: number
  private nextSeq: number
  private messages: number
  private livePages = 0
  private counters = { dropped: 0, expired: 0, refused: 0 }
  private closed = false
  private cleaning: Promise<void> | undefined

  constructor(options: SqliteMessageStoreOptions) {
    this.o = resolveOptions(options)
    mkdirSync(this.o.dir, { recursive: true })
    this.file = join(this.o.dir, SQLITE_FILE)
    this.maxBatchBytes = clamp(Math.floor(this.o.maxBytes / 32), 32 * 1024, 4 * 1024 * 1024)
    const walPages = clamp(Math.floor(this.o.maxBytes / 16 / PAGE), 16, 4000)
    this.reserve = (walPages + Math.ceil((3 * this.maxBatchBytes) / PAGE)) * (PAGE + 24) + 32 + SHM_BYTES
    if (this.reserve * 2 > this.o.maxBytes) throw new RangeError(`maxBytes ${this.o.maxBytes} is too small for the sqlite engine`)

    this.db = new Database(this.file)
    try {
      this.db.pragma('auto_vacuum = INCREMENTAL') // takes effect only on a new file, before the first table
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${this.o.durability === 'fsync' ? 'FULL' : 'NORMAL'}`)
      this.db.pragma(`wal_autocheckpoint = ${walPages}`)
      this.db.pragma(`journal_size_limit = ${walPages * (PAGE + 24)}`)
      migrate(this.db)
    } catch (err) {
      this.db.close()
      throw err
    }
    this.s = prepare(this.db)
    const meta = this.s.meta.get()!
    this.nextSeq = meta.next_seq
    this.messages = meta.messages
    for (const q of this.s.queues.all()) {
      const length = this.s.queueLength.get(q.id)!.n
      this.queues.set(queueKey(q.endpoint_id, q.priority), { id: q.id, endpointId: q.endpoint_id, priority: q.priority, checkpoint: q.checkpoint, length })
    }
    this.measure()
    this.disk = new DiskGuard(this.o.dir, this.o.minFreeDiskBytes, this.o.clock)
    this.commits = new GroupCommit<Item>(
      (batch) => this.commit(batch),
      (i) => (i.kind === 'add' ? i.est : 64),
      { maxItems: options.maxBatchItems ?? 2000, maxBytes: this.maxBatchBytes },
      (item, err) => item.reject(err),
    )
    this.cleaner = new ExpiryTimer(this.o.clock, () => void this.expire().catch((err) => this.o.log.error({ event: 'store.clean_failed', err }, 'TTL cleaner failed')))
    this.scheduleCleaner()
    this.o.log.info({ event: 'store.opened', engine: this.engine, messages: this.messages, queues: this.queues.size }, 'message store opened')
  }

  add(message: Message, targets: readonly QueueTarget[]): Promise<StoredRef> {
    if (this.closed) return Promise.reject(errors.closed())
    if (targets.length === 0) return Promise.reject(errors.noTarget())
    const now = this.o.clock.now()
    const live = targets.filter((t) => t.expiresAt > now)
    if (live.length < targets.length) this.counters.expired += targets.length - live.length
    if (live.length === 0) return Promise.resolve({ offset: -1, queued: 0 })
    const header = encodeHeader(message)
    const est = estimate(header.length + message.body.length, live.length)
    if (est + this.reserve > this.o.maxBytes) return Promise.reject(errors.tooLarge(est, this.o.maxBytes))
    return new Promise((resolve, reject) => this.commits.push({ kind: 'add', header, body: message.body, targets: live, est, resolve, reject }))
  }

  async read(o: ReadOptions): Promise<QueuedMessage[]> {
    const q = this.queues.get(queueKey(o.endpointId, o.priority))
    if (!q || o.limit <= 0 || this.closed) return []
    const from = Math.max(o.from ?? 0, q.checkpoint + 1)
    return this.s.read.all(q.id, from, this.o.clock.now(), o.limit).map((r) => ({
      offset: r.seq,
      endpointId: q.endpointId,
      priority: q.priority,
      enqueuedAt: r.enqueued_at,
      expiresAt: fromStoredExpiry(r.expires_at),
      message: decodeMessage(r.header, r.body),
    }))
  }

  checkpoint(endpointId: string, priority: number, offset: number): Promise<void> {
    if (this.closed) return Promise.reject(errors.closed())
    return new Promise((resolve, reject) => this.commits.push({ kind: 'checkpoint', endpointId, priority, offset, resolve, reject }))
  }

  removeQueue(endpointId: string, priority: number): Promise<void> {
    if (this.closed) return Promise.reject(errors.closed())
    return new Promise((resolve, reject) => this.commits.push({ kind: 'remove', endpointId, priority, resolve, reject }))
  }

  async expire(): Promise<number> {
    while (this.cleaning) await this.cleaning
    if (this.closed) return 0
    const run = this.clean()
    this.cleaning = run.then(() => undefined, () => undefined)
    try {
      return await run
    } finally {
      this.cleaning = undefined
    }
  }

  private async clean(): Promise<number> {
    let removed = 0
    for (;;) {
      await this.commits.idle()
      if (this.closed) break
      const n = this.cleanOnce()
      removed += n
      if (n < CLEAN_BATCH) break
      await new Promise((r) => setImmediate(r)) // let the event loop breathe between batches
    }
    if (!this.closed) this.vacuumSome()
    if (!this.closed) this.scheduleCleaner()
    return removed
  }

  size(): number {
    let total = 0
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) {
      try {
        total += statSync(f).size
      } catch {
        // absent: 0
      }
    }
    return total
  }

  stats(): StoreStats {
    const queues: QueueStats[] = [...this.queues.values()].map((q) => ({ endpointId: q.endpointId, priority: q.priority, length: q.length, checkpoint: q.checkpoint }))
    return { engine: this.engine, messages: this.messages, usedBytes: this.used(0), maxBytes: this.o.maxBytes, ...this.counters, queues }
  }

  queuedFor(endpointId: string): number {
    return countQueued(this.queues.values(), endpointId)
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.commits.idle()
    this.closed = true
    this.cleaner.cancel()
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      this.db.close()
    }
    this.o.log.info({ event: 'store.closed', engine: this.engine }, 'message store closed')
  }

  /** For tests: SQLite's own check of the file. */
  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }))
  }

  // ---- commit --------------------------------------------------------------------------------------------------

  private used(pending: number): number {
    return this.livePages * PAGE + this.reserve + pending
  }

  private measure(): void {
    const pages = this.db.pragma('page_count', { simple: true }) as number
    const free = this.db.pragma('freelist_count', { simple: true }) as number
    this.livePages = pages - free
  }

  private commit(batch: Item[]): void {
    const settle: (() => void)[] = []
    const queueDeltas = new Map<Queue, { length: number; checkpoint?: number }>()
    const created: Queue[] = []
    let inserted = 0
    let deleted = 0
    let dropped = 0
    let refused = 0
    let written = 0
    const delta = (q: Queue) => queueDeltas.get(q) ?? (queueDeltas.set(q, { length: 0 }), queueDeltas.get(q)!)
    const queue = (endpointId: string, priority: number): Queue => {
      const key = queueKey(endpointId, priority)
      let q = this.queues.get(key) ?? created.find((c) => c.endpointId === endpointId && c.priority === priority)
      if (!q) {
        const id = Number(this.s.insertQueue.run(endpointId, priority).lastInsertRowid)
        q = { id, endpointId, priority, checkpoint: 0, length: 0 }
        created.push(q)
      }
      return q
    }
    const now = this.o.clock.now()
    let seq = this.nextSeq
    try {
      this.db.transaction(() => {
        let pending = 0
        for (const item of batch) {
          if (item.kind === 'add') {
            const refusal = this.admit(item.est, pending, (need) => {
              const [n, freed, perQueue] = this.dropOldest(need, created)
              dropped += n
              deleted += n
              for (const [q, removed] of perQueue) delta(q).length -= removed
              pending -= freed
              return freed
            })
            if (refusal) {
              refused++
              settle.push(() => item.reject(refusal))
              continue
            }
            pending += item.est
            written += item.est
            const offset = seq++
            this.s.insertMessage.run(offset, now, item.targets.length, item.header, item.body)
            for (const t of item.targets) {
              const q = queue(t.endpointId, t.priority)
              this.s.insertRef.run(q.id, offset, toStoredExpiry(t.expiresAt))
              delta(q).length++
            }
            inserted++
            const queued = item.targets.length
            settle.push(() => item.resolve({ offset, queued }))
          } else if (item.kind === 'checkpoint') {
            const q = this.queues.get(queueKey(item.endpointId, item.priority)) ?? created.find((c) => c.endpointId === item.endpointId && c.priority === item.priority)
            const d = q && delta(q)
            const current = q ? Math.max(q.checkpoint, d?.checkpoint ?? 0) : 0
            const offset = Math.min(item.offset, seq - 1)
            if (q && d && offset > current) {
              const [removed, gone] = this.release(q.id, offset)
              d.length -= removed
              d.checkpoint = offset
              deleted += gone
              this.s.setCheckpoint.run(offset, q.id)
            }
            settle.push(() => item.resolve())
          } else {
            const q = this.queues.get(queueKey(item.endpointId, item.priority))
            if (q) {
              const [removed, gone] = this.release(q.id, NEVER)
              delta(q).length -= removed
              deleted += gone
              this.s.deleteQueue.run(q.id)
            }
            settle.push(() => item.resolve())
          }
        }
        if (seq !== this.nextSeq || inserted !== deleted) this.s.setMeta.run(seq, inserted - deleted)
      }).immediate()
    } catch (err) {
      this.o.log.error({ event: 'store.commit_failed', err }, 'message store commit failed')
      for (const item of batch) item.reject(err)
      return
    }
    // Committed: now the in-memory view follows.
    this.nextSeq = seq
    this.messages += inserted - deleted
    this.counters.dropped += dropped
    this.counters.refused += refused
    for (const q of created) this.queues.set(queueKey(q.endpointId, q.priority), q)
    for (const [q, d] of queueDeltas) {
      q.length += d.length
      if (d.checkpoint !== undefined) q.checkpoint = d.checkpoint
    }
    for (const item of batch) if (item.kind === 'remove') this.queues.delete(queueKey(item.endpointId, item.priority))
    this.disk.wrote(written)
    this.measure()
    for (const f of settle) f()
    if (inserted > 0) this.scheduleCleaner()
    // Deleted rows leave free pages: the cleaner's pass gives them back (incremental_vacuum) soon after.
    if (deleted > 0) this.cleaner.scheduleAt(this.o.clock.now())
  }

  /** Undefined when `est` more bytes fit (after dropping the oldest if that is the policy), else the error. */
  private admit(est: number, pending: number, drop: (need: number) => number): Error | undefined {
    const free = this.disk.freeAfter(est)
    if (free < this.disk.minFreeBytes) return errors.diskLow(free + est, this.disk.minFreeBytes, this.o.dir)
    const over = this.used(pending + est) - this.o.maxBytes
    if (over <= 0) return undefined
    if (this.o.fullPolicy === 'drop-oldest') {
      pending -= drop(over)
      if (this.used(pending + est) - this.o.maxBytes <= 0) return undefined
    }
    this.o.log.warn({ event: 'store.full', used: this.used(pending), maxBytes: this.o.maxBytes }, 'message store full: message refused')
    return errors.storeFull(this.used(pending), this.o.maxBytes, est)
  }

  /**
   * Deletes the oldest messages (a prefix of offsets, in every queue) until about `need` bytes are free. Returns
   * [messages, bytes credited, references removed per queue]. A dropped message's bytes are credited at their
   * payload size, less than the pages they took, so the quota errs on the safe side until the next measure.
   */
  private dropOldest(need: number, created: readonly Queue[]): [number, number, Map<Queue, number>] {
    let freed = 0
    let through = -1
    for (const row of this.s.oldest.iterate()) {
      freed += row.n
      through = row.seq
      if (freed >= need) break
    }
    const perQueue = new Map<Queue, number>()
    if (through < 0) return [0, 0, perQueue]
    for (const q of [...this.queues.values(), ...created]) perQueue.set(q, this.s.deleteRefsThrough.run(q.id, through).changes)
    const n = this.s.deleteMessagesThrough.run(through).changes
    this.o.log.warn({ event: 'store.dropped', messages: n, throughOffset: through }, 'message store full: oldest messages dropped')
    return [n, freed, perQueue]
  }

  /** Removes a queue's references up to `through`; returns [references removed, messages deleted]. */
  private release(queueId: number, through: number): [number, number] {
    this.s.unrefThrough.run({ q: queueId, t: through })
    const gone = this.s.deleteUnreferencedThrough.run({ q: queueId, t: through }).changes
    const removed = this.s.deleteRefsThrough.run(queueId, through).changes
    return [removed, gone]
  }

  // ---- TTL --------------------------------------------------------------------------------------------------

  private scheduleCleaner(): void {
    const next = this.s.earliestExpiry.get()?.t
    if (next != null && next < NEVER) this.cleaner.scheduleAt(next)
  }

  /** One bounded transaction of the TTL cleaner: returns the references removed. */
  private cleanOnce(): number {
    const byId = new Map([...this.queues.values()].map((q) => [q.id, q]))
    const rows = this.s.expired.all(this.o.clock.now(), CLEAN_BATCH)
    if (rows.length === 0) return 0
    let gone = 0
    this.db.transaction(() => {
      for (const r of rows) {
        this.s.deleteRef.run(r.queue_id, r.seq)
        gone += this.s.unrefOne.run(r.seq).changes === 1 ? this.s.deleteIfUnreferenced.run(r.seq).changes : 0
      }
      if (gone > 0) this.s.setMeta.run(this.nextSeq, -gone)
    }).immediate()
    for (const r of rows) {
      const q = byId.get(r.queue_id)
      if (q) q.length--
    }
    this.messages -= gone
    this.counters.expired += rows.length
    this.measure()
    return rows.length
  }

  /** Gives free pages back to the file system, a bounded number at a time. */
  private vacuumSome(): void {
    const free = this.db.pragma('freelist_count', { simple: true }) as number
    if (free > 256) this.db.pragma(`incremental_vacuum(${Math.min(free, 2048)})`)
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n))
}

/** Pessimistic bytes a message will take in pages (row, references, index entries, page slack). */
function estimate(payload: number, refs: number): number {
  return Math.ceil(payload * 2) + 256 + 96 * refs
}
