/**
 * The bytes a connection writes during one tick leave in one socket write once the tick's callbacks have run.
 * After a group commit the hub acknowledges a whole batch of PUBLISHes in one tick; one TLS record (and one
 * syscall) per PUBACK would cost more than the rest of the message. Order is kept: the bytes leave in the order
 * they were added. All connections share one `process.nextTick` per tick rather than one each.
 */
import type { Duplex } from 'node:stream'

/** Above this, the chunks are handed to the stream one by one (corked) instead of being copied into one buffer. */
const CONCAT_MAX_BYTES = 64 * 1024

/** Batches with bytes waiting for the end of this tick. */
const waiting: WriteBatch[] = []

function flushWaiting(): void {
  // By index: a flush that makes a stream fail may make its connection write again, which appends here.
  for (let i = 0; i < waiting.length; i++) waiting[i]!.flush()
  waiting.length = 0
}

export class WriteBatch {
  private readonly chunks: Buffer[] = []
  private bytes = 0

  constructor(private readonly stream: Duplex) {}

  add(chunk: Buffer): void {
    if (this.chunks.length === 0) {
      if (waiting.length === 0) process.nextTick(flushWaiting)
      waiting.push(this)
    }
    this.chunks.push(chunk)
    this.bytes += chunk.length
  }

  /** Writes what is waiting now (also called before the stream is ended). */
  flush(): void {
    const chunks = this.chunks
    if (chunks.length === 0) return
    const bytes = this.bytes
    this.bytes = 0
    if (this.stream.destroyed) {
      chunks.length = 0
      return
    }
    if (chunks.length === 1) {
      const only = chunks[0]!
      chunks.length = 0
      this.stream.write(only)
    } else if (bytes <= CONCAT_MAX_BYTES) {
      const all = Buffer.concat(chunks, bytes)
      chunks.length = 0
      this.stream.write(all)
    } else {
      const all = chunks.splice(0)
      this.stream.cork()
      for (const c of all) this.stream.write(c)
      this.stream.uncork()
    }
  }
}
