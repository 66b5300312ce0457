/**
 * The hub's retained events stream. Appends are grouped: every message waiting when the previous write finished
 * goes into one transaction (group commit), so a device's PUBACK waits for durability without a write per message.
 * Live readers get each committed event through `onCommitted`.
 */
import type { Clock, Logger } from '@ledge/common'
import type { EventInput, EventLog, EventRecord } from '@ledge/storage'

const MAX_BATCH = 512

/** Told once its event is durable, or could not be stored. One object per message instead of a promise and two closures. */
export interface AppendWaiter {
  stored(offset: number): void
  failed(err: unknown): void
}

export interface RetentionSettings {
  /** Keep events for this long. */
  retentionMs: number
  /** And at most this many body bytes. */
  maxBytes: number
  /** How often retention runs. */
  intervalMs: number
}

export type EventListener = (e: EventRecord) => void

export class EventStream {
  /** Events waiting for the next batch, and who waits for each (the same index). */
  private readonly queue: EventInput[] = []
  private readonly waiters: AppendWaiter[] = []
  private writing = false
  private readonly listeners = new Set<EventListener>()
  private retentionTimer: ReturnType<typeof setInterval> | undefined
  private idle: Promise<void> = Promise.resolve()
  private markIdle: (() => void) | undefined

  constructor(private readonly d: { log: EventLog; clock: Clock; logger: Logger; retention: RetentionSettings }) {}

  start(): void {
    this.retentionTimer = setInterval(() => void this.applyRetention(), this.d.retention.intervalMs)
    this.retentionTimer.unref()
  }

  /** Resolves with the event's offset once it is durable. */
  append(event: EventInput): Promise<number> {
    return new Promise((resolve, reject) => this.enqueue(event, { stored: resolve, failed: reject }))
  }

  /** Appends `event` with the next batch and tells `waiter` once it is durable (the per-message path). */
  enqueue(event: EventInput, waiter: AppendWaiter): void {
    this.queue.push(event)
    this.waiters.push(waiter)
    if (!this.writing) this.scheduleWrite()
  }

  private scheduleWrite(): void {
    this.writing = true
    this.idle = new Promise((r) => (this.markIdle = r))
    // setImmediate lets every PUBLISH already read from the sockets join this batch.
    setImmediate(() => void this.writeLoop())
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const events = this.queue.splice(0, MAX_BATCH)
      const waiters = this.waiters.splice(0, MAX_BATCH)
      let offsets: number[]
      try {
        offsets = await this.d.log.append(events)
      } catch (err) {
        this.d.logger.error({ err, event: 'events.append_failed', count: events.length }, 'could not store telemetry')
        for (const w of waiters) w.failed(err)
        continue
      }
      for (let i = 0; i < waiters.length; i++) {
        try {
          waiters[i]!.stored(offsets[i]!)
        } catch (err) {
          this.d.logger.warn({ err, event: 'events.waiter_failed' }, 'an append waiter threw')
        }
      }
      if (this.listeners.size > 0) {
        for (let i = 0; i < events.length; i++) this.emit({ ...events[i]!, offset: offsets[i]! })
      }
      // Back to the event loop before the next batch. The SQLite append is synchronous, so without this the batches
      // queued during a busy moment chain in one run of microtasks (thousands of appends, then thousands of PUBACKs
      // written at once), and every socket and timer waits for all of them (80–350 ms blocks in a profile of
      // bench/hub).
      if (this.queue.length > 0) await new Promise((resolve) => setImmediate(resolve))
    }
    this.writing = false
    this.markIdle?.()
  }

  private emit(e: EventRecord): void {
    for (const l of this.listeners) {
      try {
        l(e)
      } catch (err) {
        this.d.logger.warn({ err, event: 'events.listener_failed' }, 'an events listener threw')
      }
    }
  }

  /** Calls `listener` with every event committed from now on; returns the unsubscribe function. */
  onCommitted(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  read(opts: { from: number; limit: number; deviceId?: string; moduleId?: string | null }): Promise<EventRecord[]> {
    return this.d.log.read(opts)
  }

  bounds(): Promise<{ first: number; next: number }> {
    return this.d.log.bounds()
  }

  async applyRetention(): Promise<number> {
    try {
      const removed = await this.d.log.trim({ olderThan: this.d.clock.now() - this.d.retention.retentionMs, maxBytes: this.d.retention.maxBytes })
      if (removed > 0) this.d.logger.debug({ event: 'events.trimmed', removed }, 'old events trimmed')
      return removed
    } catch (err) {
      this.d.logger.warn({ err, event: 'events.trim_failed' }, 'could not trim the events stream')
      return 0
    }
  }

  /** Waits for pending appends to be written (graceful shutdown). */
  async drain(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer)
    while (this.writing) await this.idle
  }
}
