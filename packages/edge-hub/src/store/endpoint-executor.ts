/**
 * Delivers one endpoint's queues to its sink (iotedge `EndpointExecutorFsm`, without the 45 KB state machine).
 *
 * - Batches of up to `batchSize` messages from one priority queue go to the sink, which sorts them into succeeded,
 *   failed (retried, with jittered exponential back-off, until they succeed, turn invalid or expire) and invalid
 *   (never retried: handed to `deadLetter`). A message the sink does not mention counts as failed.
 * - The batch is checkpointed once every message in it is settled, so messages leave in order, and a crash
 *   redelivers from the checkpoint (at-least-once). While a batch is being retried, the endpoint sends nothing else:
 *   order holds within each priority, and a dead endpoint is not hammered.
 * - Priorities (0 = highest): the highest non-empty queue is served, except every `fairnessEvery`-th batch, which
 *   goes to the lower priorities in turn. With all queues busy and the default 8, priority 0 gets 7/8 of the batches
 *   and the others share 1/8: high priority first, but no queue starves forever (iotedge always goes back to the top
 *   and can starve the rest).
 */
import { backoffDelay, silentLogger, systemClock, type BackoffOptions, type Clock, type Logger } from '@ledge/common'
import { Checkpointer } from './checkpointer.js'
import type { MessageStore, QueuedMessage } from './message-store.js'
import { PriorityTurns } from './priority-turns.js'

export interface SinkResult {
  succeeded: readonly number[]
  failed: readonly number[]
  invalid: readonly number[]
}

/** Sends a batch; resolves with the offsets of each outcome. A rejection counts the whole batch as failed. */
export type Sink = (batch: readonly QueuedMessage[]) => Promise<SinkResult>

export interface EndpointExecutorOptions {
  store: MessageStore
  endpointId: string
  sink: Sink
  /** Messages per sink call. Default 100 (iotedge sends 10 upstream, 1 to a module). */
  batchSize?: number
  /** Retry delays of a failed batch. Default 1 s doubling to 60 s, half jittered. */
  backoff?: BackoffOptions
  /** Every n-th batch is offered to the lower priorities first. Default 8. */
  fairnessEvery?: number
  /** How long to sleep when every queue is empty, unless `notify()` comes first. Default 1000 ms. */
  idleMs?: number
  /** Messages the sink called invalid. Default: logged at warn and dropped. */
  deadLetter?: (messages: readonly QueuedMessage[]) => void | Promise<void>
  clock?: Clock
  logger?: Logger
}

export interface ExecutorStats {
  sent: number
  retries: number
  deadLettered: number
  expired: number
}

export class EndpointExecutor {
  readonly stats: ExecutorStats = { sent: 0, retries: 0, deadLettered: 0, expired: 0 }
  private readonly o: Required<Omit<EndpointExecutorOptions, 'deadLetter'>> & Pick<EndpointExecutorOptions, 'deadLetter'>
  private readonly cursors = new Map<number, number>()
  private running: Promise<void> | undefined
  private stopping = false
  private wake: (() => void) | undefined
  private halt: (() => void) | undefined
  /** retryNow() came while no back-off was under way (the sink call in progress): the next one is skipped. */
  private retryWanted = false
  /** notify() came since the last read: read again rather than sleep (it may have come while reading). */
  private dirty = false
  private readonly turns: PriorityTurns
  private readonly checkpoints: Checkpointer

  constructor(options: EndpointExecutorOptions) {
    this.o = {
      batchSize: 100,
      backoff: { initialMs: 1000, maxMs: 60_000, jitter: 0.5 },
      fairnessEvery: 8,
      idleMs: 1000,
      clock: systemClock,
      logger: silentLogger(),
      ...options,
    }
    this.turns = new PriorityTurns(this.o.store, this.o.endpointId, this.o.fairnessEvery)
    this.checkpoints = new Checkpointer(this.o.store, this.o.endpointId, this.o.logger)
  }

  start(): void {
    if (this.running) return
    this.stopping = false
    this.running = this.loop().finally(() => (this.running = undefined))
  }

  /** New messages were added: stop sleeping. */
  notify(): void {
    this.dirty = true
    this.wake?.()
  }

  /**
   * The endpoint is reachable again (the upstream link came back, a module connected): cut a retry back-off short
   * and try now, rather than sleep up to a minute while it could be draining its backlog.
   */
  retryNow(): void {
    this.retryWanted = true
    this.halt?.()
  }

  /** Stops after the sink call in progress (its batch is checkpointed if it settled). */
  async stop(): Promise<void> {
    this.stopping = true
    this.halt?.()
    await this.running
    await this.checkpoints.drain()
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        const sent = await this.serveOnce()
        if (!sent && !this.dirty) await this.sleep(this.o.idleMs, true)
      } catch (err) {
        // The store failing (disk error): log, wait, try again. Nothing was checkpointed, so nothing is lost.
        this.o.logger.warn({ event: 'endpoint.iteration_failed', endpointId: this.o.endpointId, err }, 'endpoint executor iteration failed')
        await this.sleep(this.o.idleMs, true)
      }
    }
  }

  /** Delivers one batch; false when every queue was empty. */
  private async serveOnce(): Promise<boolean> {
    this.dirty = false
    for (const priority of this.turns.next()) {
      const from = Math.max(this.cursors.get(priority) ?? 0, 0) + 1
      const batch = await this.o.store.read({ endpointId: this.o.endpointId, priority, from, limit: this.o.batchSize })
      if (batch.length === 0) continue
      if (!(await this.deliver(batch))) return true // stopping: no checkpoint, redelivered after a restart
      const last = batch.at(-1)!.offset
      this.cursors.set(priority, last)
      this.checkpoints.later(priority, last)
      return true
    }
    return false
  }

  /** Sends until every message of the batch succeeded, turned invalid or expired: true; false if stopped first. */
  private async deliver(batch: readonly QueuedMessage[]): Promise<boolean> {
    let pending = batch
    for (let attempt = 0; pending.length > 0; attempt++) {
      let result: SinkResult
      try {
        result = await this.o.sink(pending)
      } catch (err) {
        this.o.logger.debug({ event: 'endpoint.send_failed', endpointId: this.o.endpointId, err }, 'sink failed')
        result = { succeeded: [], failed: pending.map((m) => m.offset), invalid: [] }
      }
      const ok = new Set(result.succeeded)
      const bad = new Set(result.invalid)
      this.stats.sent += ok.size
      const invalid = pending.filter((m) => bad.has(m.offset) && !ok.has(m.offset))
      if (invalid.length > 0) {
        this.stats.deadLettered += invalid.length
        if (this.o.deadLetter) await this.o.deadLetter(invalid)
        else this.o.logger.warn({ event: 'endpoint.dead_letter', endpointId: this.o.endpointId, offsets: invalid.map((m) => m.offset) }, 'messages refused by the endpoint dropped')
      }
      const now = this.o.clock.now()
      const failed = pending.filter((m) => !ok.has(m.offset) && !bad.has(m.offset))
      pending = failed.filter((m) => m.expiresAt > now)
      this.stats.expired += failed.length - pending.length
      if (pending.length === 0) return true
      if (this.stopping) return false
      this.stats.retries++
      if (this.retryWanted) {
        this.retryWanted = false
        continue
      }
      const delay = backoffDelay(attempt, this.o.backoff)
      this.o.logger.info({ event: 'endpoint.retry', endpointId: this.o.endpointId, messages: pending.length, attempt, delayMs: delay }, 'endpoint send failed; retrying')
      await this.sleep(delay, false)
      this.retryWanted = false // a retryNow() that cut this back-off short is used up
      if (this.stopping) return false
    }
    return true
  }

  /** Waits `ms`; `stop()` always cuts it short, `notify()` only when `idle` (it must not shorten a back-off). */
  private sleep(ms: number, idle: boolean): Promise<void> {
    if (this.stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const t = this.o.clock.setTimeout(() => done(), ms)
      const done = () => {
        t.cancel()
        this.wake = undefined
        this.halt = undefined
        resolve()
      }
      this.halt = done
      if (idle) this.wake = done
    })
  }
}
