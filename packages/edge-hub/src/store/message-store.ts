/**
 * The edge hub's store-and-forward port (iotedge `Hub.Core/storage/MessageStore.cs`): each message is stored once,
 * with a reference in the queue of every endpoint and priority a route sends it to, and one checkpoint per queue.
 *
 * Offsets are the store's message sequence numbers: one counter for the whole store, so a message has the same
 * offset in every queue it is in, and the offsets of one queue increase but are not contiguous.
 */
import type { Message } from '@ledge/protocol'

/** One queue a message goes into: an endpoint (`$upstream`, a module input) at a route priority (0 = highest). */
export interface QueueTarget {
  endpointId: string
  priority: number
  /** Epoch ms after which the message is never delivered to this queue. `Infinity` = never expires. */
  expiresAt: number
}

/** What `add` resolves with, once the message is durable. */
export interface StoredRef {
  /** The message's offset in every queue it went into; -1 when it went into none (all its targets had expired). */
  offset: number
  /** The queues it went into. */
  queued: number
}

export interface QueuedMessage {
  offset: number
  endpointId: string
  priority: number
  /** Epoch ms at which the store accepted it. */
  enqueuedAt: number
  expiresAt: number
  message: Message
}

export interface ReadOptions {
  endpointId: string
  priority: number
  /** The first offset wanted (inclusive). Default: just after the queue's checkpoint. */
  from?: number
  limit: number
}

export interface QueueStats {
  endpointId: string
  priority: number
  /** Messages waiting: after the checkpoint, not yet removed by the cleaner (the `edgehub_queue_length` gauge). */
  length: number
  /** The last offset checkpointed (0 before the first checkpoint). */
  checkpoint: number
}

export interface StoreStats {
  engine: string
  /** Messages stored (one per message, whatever the number of queues it is in). */
  messages: number
  /** Bytes the quota counts (the engine's accounting, an upper bound of its files; see `size()` for the files). */
  usedBytes: number
  maxBytes: number
  /** Messages evicted by the drop-oldest policy since the store was opened (`edgehub_messages_dropped_total`). */
  dropped: number
  /** Queue references removed because their TTL passed, since the store was opened. */
  expired: number
  /** Adds refused because the store was full (back-pressure), since the store was opened. */
  refused: number
  queues: QueueStats[]
}

export type FullPolicy = 'backpressure' | 'drop-oldest'

/**
 * - `fsync`: a group commit resolves after the data is flushed to the device (fdatasync / SQLite `synchronous=FULL`):
 *   survives a power cut.
 * - `os`: a group commit resolves once the data is in the operating system (write(2) / `synchronous=NORMAL`): survives
 *   the death of the process (`kill -9`), may lose the last commits on a power cut, never corrupts.
 */
export type Durability = 'fsync' | 'os'

export interface MessageStore {
  readonly engine: string
  /**
   * Stores the message once and appends a reference to each target queue. Resolves when it is durable (see
   * {@link Durability}); concurrent adds share one commit (group commit). Targets whose `expiresAt` has passed are
   * skipped. Rejects with `ERR_STORE_FULL` (kind `throttled`) when the quota is reached and the policy is
   * `backpressure`; nothing already accepted is touched.
   */
  add(message: Message, targets: readonly QueueTarget[]): Promise<StoredRef>
  /** Up to `limit` messages of one queue, in offset order, after its checkpoint, never an expired one. */
  read(options: ReadOptions): Promise<QueuedMessage[]>
  /**
   * Marks every message of the queue up to `offset` (inclusive) as delivered; durable when it resolves. A lower offset
   * than the current checkpoint is ignored. Messages after the checkpoint are delivered again after a restart
   * (at-least-once). A message is deleted once every queue it is in has checkpointed past it or dropped it.
   */
  checkpoint(endpointId: string, priority: number, offset: number): Promise<void>
  /** Removes a queue (its endpoint left the routes): its references go, and the messages only it held. */
  removeQueue(endpointId: string, priority: number): Promise<void>
  /** Runs the TTL cleaner now and resolves with the references removed (the store also runs it on its own timer). */
  expire(): Promise<number>
  /** The store's files on disk, in bytes (what `du` would say, modulo blocks). */
  size(): number
  stats(): StoreStats
  /**
   * References queued for `endpointId` over its priorities: what `stats().queues` sums to, without building the stats
   * (the router asks for each message it stores, to hold senders of an endpoint that lags).
   */
  queuedFor(endpointId: string): number
  /** Finishes pending commits, then closes. Calling it again does nothing. */
  close(): Promise<void>
}

export interface MessageStoreOptions {
  /** The store's directory (created if missing); each engine keeps its own files in it. */
  dir: string
  /** The most bytes of disk the store may use, its files included. Default 1 GiB. */
  maxBytes?: number
  /** What `add` does when the quota is reached. Default `backpressure`. */
  fullPolicy?: FullPolicy
  /** Default `fsync`. */
  durability?: Durability
  /**
   * Free space to leave on the file system whatever the quota: adds are refused (or old messages dropped) when the
   * disk has less than this free. Default 64 MiB; 0 disables the check.
   */
  minFreeDiskBytes?: number
}

export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
export const DEFAULT_MIN_FREE_DISK_BYTES = 64 * 1024 * 1024
/** Route priority of iotedge routes that give none: the lowest. */
export const DEFAULT_PRIORITY = 2_000_000_000
