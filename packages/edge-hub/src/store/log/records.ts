/**
 * The log's record format. Every record is framed as
 *
 *     u32 length of (type + payload) | u32 crc32 of (type + payload) | u8 type | payload
 *
 * little-endian, so a torn or zeroed tail (a write cut short) fails the length or CRC check and recovery stops
 * there. Payloads:
 *
 * - MESSAGE: f64 seq, f64 enqueuedAt, u16 n, n × (u32 queueId, f64 expiresAt), u32 headerBytes, header, body
 * - QUEUE: u32 queueId, f64 priority, endpointId (utf8)
 * - CHECKPOINT: u32 queueId, f64 offset
 * - REMOVE_QUEUE: u32 queueId
 */
import { crc32 } from 'node:zlib'

export const FRAME = 9
export const RecordType = { Message: 1, Queue: 2, Checkpoint: 3, RemoveQueue: 4 } as const
export type RecordType = (typeof RecordType)[keyof typeof RecordType]

function frame(type: RecordType, payloadBytes: number): Buffer {
  const b = Buffer.allocUnsafe(FRAME + payloadBytes)
  b.writeUInt32LE(1 + payloadBytes, 0)
  b.writeUInt8(type, 8)
  return b
}

function seal(b: Buffer): Buffer {
  b.writeUInt32LE(crc32(b.subarray(8)), 4)
  return b
}

export interface MessageTargetRecord {
  queueId: number
  expiresAt: number
}

/** Bytes a message record takes (known before encoding, for the quota). */
export function messageRecordBytes(headerBytes: number, bodyBytes: number, targets: number): number {
  return FRAME + 8 + 8 + 2 + targets * 12 + 4 + headerBytes + bodyBytes
}

export function encodeMessage(seq: number, enqueuedAt: number, targets: readonly MessageTargetRecord[], header: Buffer, body: Uint8Array): Buffer {
  const b = frame(RecordType.Message, 8 + 8 + 2 + targets.length * 12 + 4 + header.length + body.length)
  let p = 9
  p = b.writeDoubleLE(seq, p)
  p = b.writeDoubleLE(enqueuedAt, p)
  p = b.writeUInt16LE(targets.length, p)
  for (const t of targets) {
    p = b.writeUInt32LE(t.queueId, p)
    p = b.writeDoubleLE(t.expiresAt, p)
  }
  p = b.writeUInt32LE(header.length, p)
  p += header.copy(b, p)
  b.set(body, p)
  return seal(b)
}

export function encodeQueue(queueId: number, priority: number, endpointId: string): Buffer {
  const id = Buffer.from(endpointId, 'utf8')
  const b = frame(RecordType.Queue, 12 + id.length)
  b.writeUInt32LE(queueId, 9)
  b.writeDoubleLE(priority, 13)
  id.copy(b, 21)
  return seal(b)
}

export function encodeCheckpoint(queueId: number, offset: number): Buffer {
  const b = frame(RecordType.Checkpoint, 12)
  b.writeUInt32LE(queueId, 9)
  b.writeDoubleLE(offset, 13)
  return seal(b)
}

export function encodeRemoveQueue(queueId: number): Buffer {
  const b = frame(RecordType.RemoveQueue, 4)
  b.writeUInt32LE(queueId, 9)
  return seal(b)
}

export type DecodedRecord =
  | { type: typeof RecordType.Message; seq: number; enqueuedAt: number; targets: MessageTargetRecord[] }
  | { type: typeof RecordType.Queue; queueId: number; priority: number; endpointId: string }
  | { type: typeof RecordType.Checkpoint; queueId: number; offset: number }
  | { type: typeof RecordType.RemoveQueue; queueId: number }

/**
 * Checks the frame at `pos` of `buf`: returns the record's total length, or 0 when there is no valid record there
 * (end of data, torn write, zeros, corruption).
 */
export function validFrameAt(buf: Buffer, pos: number): number {
  if (pos + FRAME > buf.length) return 0
  const len = buf.readUInt32LE(pos)
  if (len < 1 || pos + 8 + len > buf.length) return 0
  if (crc32(buf.subarray(pos + 8, pos + 8 + len)) !== buf.readUInt32LE(pos + 4)) return 0
  return 8 + len
}

/** Decodes a record already validated by {@link validFrameAt} (the message's header and body are skipped). */
export function decodeRecord(buf: Buffer, pos: number, total: number): DecodedRecord | undefined {
  const type = buf.readUInt8(pos + 8) as RecordType
  let p = pos + 9
  switch (type) {
    case RecordType.Message: {
      const seq = buf.readDoubleLE(p)
      const enqueuedAt = buf.readDoubleLE(p + 8)
      const n = buf.readUInt16LE(p + 16)
      p += 18
      const targets: MessageTargetRecord[] = []
      for (let i = 0; i < n; i++, p += 12) targets.push({ queueId: buf.readUInt32LE(p), expiresAt: buf.readDoubleLE(p + 4) })
      return { type, seq, enqueuedAt, targets }
    }
    case RecordType.Queue:
      return { type, queueId: buf.readUInt32LE(p), priority: buf.readDoubleLE(p + 4), endpointId: buf.toString('utf8', p + 12, pos + total) }
    case RecordType.Checkpoint:
      return { type, queueId: buf.readUInt32LE(p), offset: buf.readDoubleLE(p + 4) }
    case RecordType.RemoveQueue:
      return { type, queueId: buf.readUInt32LE(p) }
    default:
      return undefined
  }
}

/** The header and body of a message record (the whole record, frame included, in `rec`). */
export function messagePayload(rec: Buffer): { header: string; body: Buffer } {
  const n = rec.readUInt16LE(9 + 16)
  const p = 9 + 18 + n * 12
  const headerBytes = rec.readUInt32LE(p)
  return { header: rec.toString('utf8', p + 4, p + 4 + headerBytes), body: Buffer.from(rec.subarray(p + 4 + headerBytes)) }
}
