/** Defaults and checks shared by the engines. */
import type { Clock, Logger } from '@ledge/common'
import { silentLogger, systemClock } from '@ledge/common'
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MIN_FREE_DISK_BYTES,
  type Durability,
  type FullPolicy,
  type MessageStoreOptions,
} from './message-store.js'

/** What every engine takes: the port's options plus the clock (TTL) and the logger. */
export interface EngineOptions extends MessageStoreOptions {
  clock?: Clock
  logger?: Logger
}

export interface ResolvedOptions {
  dir: string
  maxBytes: number
  fullPolicy: FullPolicy
  durability: Durability
  minFreeDiskBytes: number
  clock: Clock
  log: Logger
}

export function resolveOptions(o: EngineOptions): ResolvedOptions {
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES
  if (!(maxBytes >= 256 * 1024)) throw new RangeError(`maxBytes must be at least 256 KiB, got ${maxBytes}`)
  const fullPolicy = o.fullPolicy ?? 'backpressure'
  if (fullPolicy !== 'backpressure' && fullPolicy !== 'drop-oldest') throw new RangeError(`unknown fullPolicy ${String(fullPolicy)}`)
  const durability = o.durability ?? 'fsync'
  if (durability !== 'fsync' && durability !== 'os') throw new RangeError(`unknown durability ${String(durability)}`)
  return {
    dir: o.dir,
    maxBytes,
    fullPolicy,
    durability,
    minFreeDiskBytes: o.minFreeDiskBytes ?? DEFAULT_MIN_FREE_DISK_BYTES,
    clock: o.clock ?? systemClock,
    log: o.logger ?? silentLogger(),
  }
}

/** The key of a queue in the engines' maps. */
export const queueKey = (endpointId: string, priority: number): string => `${priority}\u0000${endpointId}`

/** References queued for one endpoint over its priorities (`MessageStore.queuedFor`), summed in place. */
export function countQueued(queues: Iterable<{ endpointId: string; length: number }>, endpointId: string): number {
  let n = 0
  for (const q of queues) if (q.endpointId === endpointId) n += q.length
  return n
}

/** Every way of making a message live forever is stored as this (SQLite has no Infinity integer). */
export const NEVER = 8.64e15
export const toStoredExpiry = (t: number): number => (t >= NEVER ? NEVER : t)
export const fromStoredExpiry = (t: number): number => (t >= NEVER ? Infinity : t)
