/**
 * MessageStore on an append-only segment log with an in-memory index (see `records.ts` for the format).
 *
 * A group commit is one `writev` at the end of the active segment, then one `fdatasync` (`durability: 'fsync'`),
 * both on libuv's thread pool: the event loop keeps parsing packets while the disk works, and what arrives meanwhile
 * forms the next commit. The index (queues, where each message is) changes only after the write, so a read never
 * sees a message that is not durable.
 *
 * Space: a segment is deleted as soon as none of its messages is referenced (checkpointed, expired or removed
 * everywhere); the state file is rewritten first so that the queue and checkpoint records in it are not lost.
 * Drop-oldest deletes the oldest segment whole. The quota counts the segment files exactly (bytes written), plus a
 * reserve for the state file and checkpoint records.
 *
 * Memory: the index costs about 100 bytes per stored message (a Map entry) plus 16 bytes per queue reference.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Message } from '@ledge/protocol'
import { decodeMessage, encodeHeader } from '../codec.js'
import { DiskGuard } from '../disk-guard.js'
import { errors } from '../errors.js'
import { ExpiryTimer } from '../expiry-timer.js'
import { GroupCommit } from '../group-commit.js'
import type { MessageStore, QueuedMessage, QueueTarget, ReadOptions, StoredRef, StoreStats } from '../message-store.js'
import { countQueued, queueKey, resolveOptions, type EngineOptions, type ResolvedOptions } from '../options.js'
import { encodeCheckpoint, encodeMessage, encodeQueue, encodeRemoveQueue, messagePayload, messageRecordBytes, validFrameAt } from './records.js'
import { recoverLog } from './recover.js'
import { RefQueue } from './ref-queue.js'
import { Segment, type Entry } from './segment.js'
import { syncDir, writeSnapshot } from './snapshot.js'

/** Kept out of the quota for the state file and checkpoint records. */
const CONTROL_RESERVE = 64 * 1024
/** References the cleaner visits per turn of the event loop. */
const CLEAN_BUDGET = 20_000
/** Reads merge records of one segment less than this apart into one read. */
const READ_GAP = 64 * 1024

export interface LogMessageStoreOptions extends EngineOptions {
  /** Target size of a segment file. Default: maxBytes / 16, between 16 KiB and 64 MiB. */
  segmentBytes?: number
  /** Items per group commit. Default 4000. */
  maxBatchItems?: number
}

type Settle<T> = { resolve: (v: T) => void; reject: (e: unknown) => void }
type Item =
  | ({ kind: 'add'; header: Buffer; body: Buffer; targets: QueueTarget[]; bytes: number } & Settle<StoredRef>)
  | ({ kind: 'checkpoint'; endpointId: string; priority: number; offset: number } & Settle<void>)
  | ({ kind: 'remove'; endpointId: string; priority: number } & Settle<void>)
  | { kind: 'gc' }

/** Opens (creating if needed) the log in `dir`, recovering after a crash. */
export async function openLogMessageStore(options: LogMessageStoreOptions): Promise<LogMessageStore> {
  const o = resolveOptions(options)
  mkdirSync(o.dir, { recursive: true })
  const started = performance.now()
  const r = await recoverLog(o.dir, o.clock.now(), o.log)
  const store = new LogMessageStore(o, options, r)
  o.log.info(
    { event: 'store.opened', engine: 'log', messages: r.entries.size, segments: r.segments.length, ms: Math.round(performance.now() - started), truncatedBytes: r.truncatedBytes },
    'message store opened',
  )
  return store
}

export class LogMessageStore implements MessageStore {
  readonly engine = 'log'
  private readonly commits: GroupCommit<Item>
  private readonly cleaner: ExpiryTimer
  private readonly disk: DiskGuard
  private readonly segmentBytes: number
  private readonly queues: Map<string, RefQueue>
  private readonly byId: Map<number, RefQueue>
  /** Where each stored message is, in offset order (Map keeps insertion order). */
  private readonly entries: Map<number, Entry>
  private segments: Segment[]
  private active: Segment | undefined
  private nextSeq: number
  private nextQueueId: number
  private nextSegmentNo: number
  /** Bytes of the segments not yet deleted nor doomed, and of the state file. */
  private segmentBytesUsed: number
  private stateBytes = 0
  private gcQueued = false
  private counters = { dropped: 0, expired: 0, refused: 0 }
  private closed = false
  private cleaning: Promise<unknown> | undefined

  /** Use {@link openLogMessageStore}. */
  constructor(
    private readonly o: ResolvedOptions,
    options: LogMessageStoreOptions,
    r: Awaited<ReturnType<typeof recoverLog>>,
  ) {
    this.segmentBytes = options.segmentBytes ?? clamp(Math.floor(o.maxBytes / 16), 16 * 1024, 64 * 1024 * 1024)
    this.queues = r.queues
    this.byId = r.byId
    this.entries = r.entries
    this.segments = r.segments
    this.nextSeq = r.nextSeq
    this.nextQueueId = r.nextQueueId
    this.nextSegmentNo = r.nextSegmentNo
    this.segmentBytesUsed = this.segments.reduce((n, s) => n + (s.dead ? 0 : s.size), 0)
    try {
      this.stateBytes = statSync(join(o.dir, 'state.json')).size
    } catch {
      this.stateBytes = 0
    }
    this.disk = new DiskGuard(o.dir, o.minFreeDiskBytes, o.clock)
    this.commits = new GroupCommit<Item>(
      (batch) => this.commit(batch),
      (i) => (i.kind === 'add' ? i.bytes : 32),
      {
        maxItems: options.maxBatchItems ?? 4000,
        maxBytes: clamp(Math.floor(this.segmentBytes / 4), 16 * 1024, 4 * 1024 * 1024),
      },
      (item, err) => (item.kind === 'gc' ? (this.gcQueued = false) : item.reject(err)),
    )
    this.cleaner = new ExpiryTimer(o.clock, () => void this.expire().catch((err) => o.log.error({ event: 'store.clean_failed', err }, 'TTL cleaner failed')))
    if (this.segments.some((s) => s.dead)) this.requestGc()
    this.scheduleCleaner()
  }

  add(message: Message, targets: readonly QueueTarget[]): Promise<StoredRef> {
    if (this.closed) return Promise.reject(errors.closed())
    if (targets.length === 0) return Promise.reject(errors.noTarget())
    const now = this.o.clock.now()
    const live = targets.filter((t) => t.expiresAt > now)
    if (live.length < targets.length) this.counters.expired += targets.length - live.length
    if (live.length === 0) return Promise.resolve({ offset: -1, queued: 0 })
    const header = Buffer.from(encodeHeader(message))
    const bytes = messageRecordBytes(header.length, message.body.length, live.length)
    if (bytes > this.o.maxBytes - CONTROL_RESERVE - this.segmentBytes) return Promise.reject(errors.tooLarge(bytes, this.o.maxBytes))
    return new Promise((resolve, reject) => this.commits.push({ kind: 'add', header, body: message.body, targets: live, bytes, resolve, reject }))
  }

  async read(o: ReadOptions): Promise<QueuedMessage[]> {
    const q = this.queues.get(queueKey(o.endpointId, o.priority))
    if (!q || o.limit <= 0 || this.closed) return []
    const refs = q.collect(Math.max(o.from ?? 0, q.checkpoint + 1), this.o.clock.now(), o.limit)
    const found = refs.map((r) => ({ ...r, e: this.entries.get(r.seq) })).filter((r): r is typeof r & { e: Entry } => r.e !== undefined)
    const out: QueuedMessage[] = []
    // Merge neighbouring records of a segment into one read.
    for (let i = 0; i < found.length; ) {
      const first = found[i]!
      let j = i + 1
      let end = first.e.pos + first.e.len
      while (j < found.length) {
        const e = found[j]!.e
        if (e.seg !== first.e.seg || e.pos < end || e.pos - end > READ_GAP || e.pos + e.len - first.e.pos > 4 * 1024 * 1024) break
        end = e.pos + e.len
        j++
      }
      const buf = await first.e.seg.read(first.e.pos, end - first.e.pos)
      for (let k = i; k < j; k++) {
        const r = found[k]!
        const at = r.e.pos - first.e.pos
        if (validFrameAt(buf, at) !== r.e.len) throw errors.corrupt(`record of offset ${r.seq} in ${r.e.seg.path} fails its check`)
        const { header, body } = messagePayload(buf.subarray(at, at + r.e.len))
        out.push({ offset: r.seq, endpointId: q.endpointId, priority: q.priority, enqueuedAt: r.e.enqueuedAt, expiresAt: r.expiresAt, message: decodeMessage(header, body) })
      }
      i = j
    }
    return out
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
    this.cleaning = run.catch(() => undefined)
    try {
      return await run
    } finally {
      this.cleaning = undefined
    }
  }

  size(): number {
    let total = 0
    for (const name of readdirSync(this.o.dir)) {
      try {
        total += statSync(join(this.o.dir, name)).size
      } catch {
        // deleted meanwhile
      }
    }
    return total
  }

  stats(): StoreStats {
    const queues = [...this.queues.values()].map((q) => ({ endpointId: q.endpointId, priority: q.priority, length: q.length, checkpoint: q.checkpoint }))
    return { engine: this.engine, messages: this.entries.size, usedBytes: this.used(), maxBytes: this.o.maxBytes, ...this.counters, queues }
  }

  queuedFor(endpointId: string): number {
    return countQueued(this.queues.values(), endpointId)
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.commits.idle()
    this.closed = true
    this.cleaner.cancel()
    await this.cleaning
    for (const s of this.segments) await s.close()
    this.o.log.info({ event: 'store.closed', engine: this.engine }, 'message store closed')
  }

  // ---- commit --------------------------------------------------------------------------------------------------

  private used(): number {
    return this.segmentBytesUsed + this.stateBytes
  }

  private requestGc(): void {
    if (this.gcQueued || this.closed) return
    this.gcQueued = true
    this.commits.push({ kind: 'gc' })
  }

  private async commit(batch: Item[]): Promise<void> {
    const bufs: Buffer[] = []
    let bytes = 0
    const added: { seq: number; item: Extract<Item, { kind: 'add' }>; rel: number; queues: RefQueue[] }[] = []
    const after: (() => void)[] = []
    const created = new Map<string, RefQueue>()
    const committedSeq = this.nextSeq - 1
    // Queues numbered from here on are defined by records of this batch, not by a state file written before it.
    const knownQueueIds = this.nextQueueId
    const now = this.o.clock.now()
    let forceNewSegment = false
    const append = (b: Buffer) => {
      bufs.push(b)
      bytes += b.length
    }
    const queueFor = (endpointId: string, priority: number): RefQueue => {
      const key = queueKey(endpointId, priority)
      let q = this.queues.get(key) ?? created.get(key)
      if (!q) {
        q = new RefQueue(this.nextQueueId++, endpointId, priority)
        created.set(key, q)
        append(encodeQueue(q.id, priority, endpointId))
      }
      return q
    }

    // 1. Admit, number and encode (synchronous: the index and the quota cannot change under us).
    const limit = this.o.maxBytes - CONTROL_RESERVE
    for (const item of batch) {
      if (item.kind === 'gc') {
        this.gcQueued = false
      } else if (item.kind === 'add') {
        const refusal = this.admit(item.bytes, bytes, limit, () => (forceNewSegment = true))
        if (refusal) {
          this.counters.refused++
          item.reject(refusal)
          continue
        }
        const queues = item.targets.map((t) => queueFor(t.endpointId, t.priority))
        const seq = this.nextSeq++
        const rec = encodeMessage(seq, now, item.targets.map((t, i) => ({ queueId: queues[i]!.id, expiresAt: t.expiresAt })), item.header, item.body)
        added.push({ seq, item, rel: bytes, queues })
        append(rec)
      } else if (item.kind === 'checkpoint') {
        const q = this.queues.get(queueKey(item.endpointId, item.priority))
        const offset = Math.min(item.offset, committedSeq)
        if (q && offset > q.checkpoint) {
          append(encodeCheckpoint(q.id, offset))
          after.push(() => this.applyCheckpoint(q, offset))
        }
        after.push(() => item.resolve())
      } else {
        const q = this.queues.get(queueKey(item.endpointId, item.priority))
        if (q) {
          append(encodeRemoveQueue(q.id))
          after.push(() => this.applyRemove(q))
        }
        after.push(() => item.resolve())
      }
    }

    try {
      // 2. Delete doomed segments (after saving what their control records said).
      await this.deleteDeadSegments(knownQueueIds)
      // 3. Write and sync.
      if (bufs.length > 0) {
        if (!this.active || forceNewSegment || (this.active.size > 0 && this.active.size + bytes > this.segmentBytes)) await this.rollOver()
        const seg = this.active!
        const base = seg.size
        const fh = await seg.handle()
        try {
          await fh.writev(bufs, base)
          if (this.o.durability === 'fsync') await fh.datasync()
        } catch (err) {
          // Never append after a partial write: cut it off and start a new segment next time.
          await fh.truncate(base).catch(() => {})
          this.active = undefined
          throw err
        }
        seg.size += bytes
        this.segmentBytesUsed += bytes
        this.disk.wrote(bytes)
        // 4. The index follows the disk.
        for (const q of created.values()) {
          this.queues.set(queueKey(q.endpointId, q.priority), q)
          this.byId.set(q.id, q)
        }
        for (const a of added) {
          this.entries.set(a.seq, { seg, pos: base + a.rel, len: a.item.bytes, refs: a.queues.length, enqueuedAt: now })
          seg.live++
          seg.lastSeq = a.seq
          a.queues.forEach((q, i) => {
            q.push(a.seq, a.item.targets[i]!.expiresAt)
            this.cleaner.scheduleAt(a.item.targets[i]!.expiresAt)
          })
        }
      }
    } catch (err) {
      this.o.log.error({ event: 'store.commit_failed', err }, 'message store commit failed')
      for (const item of batch) if (item.kind !== 'gc') item.reject(err)
      return
    }
    for (const a of added) a.item.resolve({ offset: a.seq, queued: a.queues.length })
    for (const f of after) f()
  }

  /** Undefined when `bytes` more fit (dropping the oldest segments if that is the policy), else the error. */
  private admit(bytes: number, pending: number, limit: number, newSegment: () => void): Error | undefined {
    const free = this.disk.freeAfter(pending + bytes)
    if (free < this.disk.minFreeBytes) return errors.diskLow(free + bytes, this.disk.minFreeBytes, this.o.dir)
    if (this.used() + pending + bytes <= limit) return undefined
    if (this.o.fullPolicy === 'drop-oldest') {
      for (const seg of this.segments) {
        if (this.used() + pending + bytes <= limit) return undefined
        if (seg.dead) continue
        if (seg === this.active) newSegment()
        this.dropSegment(seg)
      }
      if (this.used() + pending + bytes <= limit) return undefined
    }
    this.o.log.warn({ event: 'store.full', used: this.used(), maxBytes: this.o.maxBytes }, 'message store full: message refused')
    return errors.storeFull(this.used() + pending, this.o.maxBytes, bytes)
  }

  /** Drop-oldest: every message of the segment goes, from every queue. */
  private dropSegment(seg: Segment): void {
    let dropped = 0
    for (const [seq, e] of this.entries) {
      if (seq > seg.lastSeq) break
      this.entries.delete(seq)
      if (e.seg === seg) dropped++
    }
    for (const q of this.queues.values()) q.popThrough(seg.lastSeq, () => {})
    this.counters.dropped += dropped
    this.doom(seg)
    this.o.log.warn({ event: 'store.dropped', messages: dropped, segment: seg.no }, 'message store full: oldest messages dropped')
  }

  private doom(seg: Segment): void {
    if (seg.dead) return
    seg.dead = true
    this.segmentBytesUsed -= seg.size
    if (seg === this.active) this.active = undefined
  }

  private async deleteDeadSegments(knownQueueIds: number): Promise<void> {
    const dead = this.segments.filter((s) => s.dead)
    if (dead.length === 0) return
    this.stateBytes = await writeSnapshot(
      this.o.dir,
      {
        schemaVersion: 1,
        nextSeq: this.nextSeq,
        nextQueueId: knownQueueIds,
        queues: [...this.queues.values()].map((q) => ({ id: q.id, endpointId: q.endpointId, priority: q.priority, checkpoint: q.checkpoint })),
      },
      this.o.durability === 'fsync',
    )
    for (const s of dead) await s.delete()
    this.segments = this.segments.filter((s) => !s.dead)
  }

  private async rollOver(): Promise<void> {
    const seg = await Segment.create(this.o.dir, this.nextSegmentNo++)
    if (this.o.durability === 'fsync') await syncDir(this.o.dir)
    this.segments.push(seg)
    const previous = this.active
    this.active = seg
    if (previous && previous.live === 0) this.doomAndGc(previous)
  }

  /** A message lost its last reference. */
  private release(seq: number): void {
    const e = this.entries.get(seq)
    if (!e || --e.refs > 0) return
    this.entries.delete(seq)
    if (--e.seg.live === 0 && e.seg !== this.active) this.doomAndGc(e.seg)
  }

  private doomAndGc(seg: Segment): void {
    this.doom(seg)
    this.requestGc()
  }

  private applyCheckpoint(q: RefQueue, offset: number): void {
    if (offset <= q.checkpoint) return
    q.checkpoint = offset
    q.popThrough(offset, (seq) => this.release(seq))
  }

  private applyRemove(q: RefQueue): void {
    this.queues.delete(queueKey(q.endpointId, q.priority))
    this.byId.delete(q.id)
    q.popThrough(Infinity, (seq) => this.release(seq))
  }

  // ---- TTL --------------------------------------------------------------------------------------------------

  private scheduleCleaner(): void {
    let next = Infinity
    for (const q of this.queues.values()) next = Math.min(next, q.earliestExpiry())
    this.cleaner.scheduleAt(next)
  }

  private async clean(): Promise<number> {
    let removed = 0
    let next = Infinity
    for (const q of [...this.queues.values()]) {
      if (this.closed) return removed
      if (this.byId.get(q.id) !== q) continue // removed meanwhile
      for (;;) {
        const [n, visited, earliest] = q.expire(this.o.clock.now(), CLEAN_BUDGET, (seq) => this.release(seq))
        removed += n
        this.counters.expired += n
        if (visited < CLEAN_BUDGET) {
          next = Math.min(next, earliest)
          break
        }
        await new Promise((r) => setImmediate(r)) // bounded work per turn of the event loop
      }
    }
    if (!this.closed) this.cleaner.scheduleAt(next)
    return removed
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n))
}
