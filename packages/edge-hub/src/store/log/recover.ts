/**
 * Opening the log: the state file, then every segment in order, record by record. A record that fails its length or
 * CRC check ends its segment (a write cut short by a crash); the file is truncated there so that nothing is ever
 * appended after garbage. The in-memory index is rebuilt: queues after their checkpoints, minus expired references,
 * and each message's reference count.
 */
import { readdir, readFile, truncate, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '@ledge/common'
import { queueKey } from '../options.js'
import { decodeRecord, RecordType, validFrameAt } from './records.js'
import { RefQueue } from './ref-queue.js'
import { Segment, SEGMENT_SUFFIX } from './segment.js'
import { readSnapshot, STATE_FILE } from './snapshot.js'

export interface RecoveredLog {
  segments: Segment[]
  queues: Map<string, RefQueue>
  byId: Map<number, RefQueue>
  entries: Map<number, import('./segment.js').Entry>
  nextSeq: number
  nextQueueId: number
  /** Segment number for the next new segment. */
  nextSegmentNo: number
  truncatedBytes: number
}

export async function recoverLog(dir: string, now: number, log: Logger): Promise<RecoveredLog> {
  const snapshot = await readSnapshot(dir)
  const queues = new Map<string, RefQueue>()
  const byId = new Map<number, RefQueue>()
  const addQueue = (id: number, endpointId: string, priority: number, checkpoint: number) => {
    const q = new RefQueue(id, endpointId, priority)
    q.checkpoint = checkpoint
    queues.set(queueKey(endpointId, priority), q)
    byId.set(id, q)
  }
  for (const q of snapshot?.queues ?? []) addQueue(q.id, q.endpointId, q.priority, q.checkpoint)
  // Queues older than the snapshot are known from it alone: one missing there was removed, whatever old records say.
  const snapshotQueueIds = snapshot?.nextQueueId ?? 1
  let nextSeq = snapshot?.nextSeq ?? 1
  let nextQueueId = snapshotQueueIds
  let lastSeq = 0
  let truncatedBytes = 0

  const names = (await readdir(dir)).sort()
  for (const n of names) if (n.endsWith('.tmp') && n !== STATE_FILE) await unlink(join(dir, n))
  const segNames = names.filter((n) => n.endsWith(SEGMENT_SUFFIX))
  const segments: Segment[] = []
  const entries = new Map<number, import('./segment.js').Entry>()

  for (const name of segNames) {
    const no = Number.parseInt(name, 10)
    const path = join(dir, name)
    const buf = await readFile(path)
    const seg = new Segment(no, path, 0)
    let pos = 0
    for (let len = validFrameAt(buf, pos); len > 0; pos += len, len = validFrameAt(buf, pos)) {
      const r = decodeRecord(buf, pos, len)
      if (!r) break
      if (r.type === RecordType.Message) {
        if (r.seq <= lastSeq) continue // cannot happen with this writer; never break the order of a queue
        lastSeq = r.seq
        seg.lastSeq = r.seq
        entries.set(r.seq, { seg, pos, len, refs: 0, enqueuedAt: r.enqueuedAt })
        for (const t of r.targets) byId.get(t.queueId)?.push(r.seq, t.expiresAt)
      } else if (r.type === RecordType.Queue) {
        if (r.queueId >= snapshotQueueIds && !byId.has(r.queueId)) addQueue(r.queueId, r.endpointId, r.priority, 0)
        nextQueueId = Math.max(nextQueueId, r.queueId + 1)
      } else if (r.type === RecordType.Checkpoint) {
        const q = byId.get(r.queueId)
        if (q) q.checkpoint = Math.max(q.checkpoint, r.offset)
      } else {
        const q = byId.get(r.queueId)
        if (q) {
          byId.delete(q.id)
          queues.delete(queueKey(q.endpointId, q.priority))
        }
      }
    }
    if (pos < buf.length) {
      log.warn({ event: 'store.torn_tail', segment: name, at: pos, bytes: buf.length - pos }, 'message log: discarding an incomplete tail')
      truncatedBytes += buf.length - pos
      await truncate(path, pos)
    }
    seg.size = pos
    segments.push(seg)
  }

  for (const q of queues.values()) {
    q.popThrough(q.checkpoint, () => {})
    q.expire(now, Infinity, () => {})
    for (const seq of q.live()) {
      const e = entries.get(seq)
      if (e) e.refs++
    }
    nextSeq = Math.max(nextSeq, q.checkpoint + 1)
  }
  for (const [seq, e] of entries) {
    if (e.refs === 0) entries.delete(seq)
    else e.seg.live++
  }
  nextSeq = Math.max(nextSeq, lastSeq + 1)
  for (const s of segments) if (s.live === 0) s.dead = true
  const nextSegmentNo = (segments.at(-1)?.no ?? 0) + 1
  return { segments, queues, byId, entries, nextSeq, nextQueueId, nextSegmentNo, truncatedBytes }
}
