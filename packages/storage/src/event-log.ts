import type { ApplicationProperties, SystemProperties } from '@ledge/protocol'

/** A device-to-cloud message as accepted by the hub. */
export interface EventInput {
  deviceId: string
  moduleId: string | null
  /** Epoch milliseconds when the hub accepted it. */
  enqueuedTime: number
  systemProperties: SystemProperties
  properties: ApplicationProperties
  body: Buffer
}

export interface EventRecord extends EventInput {
  /** Position in the log: assigned on append, strictly increasing, never reused. */
  offset: number
}

/**
 * The retained events stream (the hub's "Event Hub-compatible endpoint"): an append-only log that consumers read
 * from an offset. Retention trims the oldest events by time and by total size.
 */
export interface EventLog {
  /** Appends all events durably in one transaction; returns their offsets in order. */
  append(events: readonly EventInput[]): Promise<number[]>
  /** Events with offset >= `from`, in offset order, optionally only those of one device (and module). */
  read(opts: { from: number; limit: number; deviceId?: string; moduleId?: string | null }): Promise<EventRecord[]>
  /** `first`: the oldest retained offset (= `next` when empty); `next`: the offset the next append gets. */
  bounds(): Promise<{ first: number; next: number }>
  /** Removes events enqueued before `olderThan` (epoch ms), then the oldest until the bodies total at most `maxBytes`. */
  trim(opts: { olderThan?: number; maxBytes?: number }): Promise<number>
}
