/**
 * Delivers one endpoint's queues as a continuous stream (module inputs, `$upstream`): up to the channel's window of messages are
 * unacknowledged at once, and the next one leaves as each acknowledgement arrives, as a broker does. Why not batches:
 * a stop-and-wait executor (send 50, wait for all 50 PUBACKs) stalls on every batch's tail: MQTT.js receivers leave
 * Nagle on, so their last PUBACKs wait for our delayed ACK (~40 ms) while we have nothing to send. A stream always
 * has data going out, so the ACKs ride on it.
 *
 * - Order: each priority queue is read in offset order and sent in that order on one channel at a time.
 * - Checkpoint: the settled prefix of each queue (acknowledged or expired, in offset order), in the background
 *   ({@link Checkpointer}); a crash redelivers what follows it (at-least-once, as QoS 1 allows).
 * - A channel that fails (the module disconnected): nothing more is sent on it; once what was in flight has settled,
 *   the unacknowledged messages go first, in offset order, on the next channel, after a back-off.
 * - Back-pressure: while the endpoint is being streamed to and lags by more than `hold.highWater` messages, the
 *   router holds its senders' acknowledgements ({@link StreamExecutor.holdSender}) until it is back under
 *   `hold.lowWater`, so a fast sender is slowed to the receiver's pace instead of the queue growing without bound.
 *   A module that is not connected holds no one: that is what store-and-forward is for. Each hold ends after
 *   `hold.maxHoldMs` whatever happens, so a module that sends to its own input cannot deadlock.
 * - A message the endpoint refuses for good (too large for the hub, poison) is dead-lettered, never retried.
 * - Priorities ({@link PriorityTurns}): the highest non-empty queue is served, except every `fairnessEvery`-th read,
 *   which goes to the lower priorities in turn, so none starves; one read-ahead chunk per turn.
 */
import { backoffDelay, silentLogger, systemClock, type BackoffOptions, type Clock, type Logger } from '@ledge/common'
import { Checkpointer } from './checkpointer.js'
import type { MessageStore, QueuedMessage } from './message-store.js'
import { PriorityTurns } from './priority-turns.js'

/** What an executor did so far (the router's endpointStats, the bench's trace). */
export interface ExecutorStats {
  sent: number
  retries: number
  deadLettered: number
  expired: number
}

/** One open path to the endpoint (a module's connection). */
export interface DeliveryChannel {
  /** Deliveries that may be unacknowledged at once. */
  readonly window: number
  /**
   * Resolves when the endpoint acknowledged the message, or with `'refused'` when it never will (the message is
   * dead-lettered, not retried); rejects if the channel failed first (sent again on the next channel).
   */
  send(message: QueuedMessage): Promise<void | 'refused'>
}

export interface StreamTarget {
  /** A channel once the endpoint can take messages (waiting a bounded time for it), or undefined: retried after a back-off. */
  open(): Promise<DeliveryChannel | undefined>
}

export interface SenderHold {
  /** Messages queued for the endpoint above which senders' acknowledgements are held. */
  highWater: number
  /** Held acknowledgements go once the queue is back under this. */
  lowWater: number
  /** The longest one acknowledgement is held. */
  maxHoldMs: number
}

export const DEFAULT_SENDER_HOLD: SenderHold = { highWater: 1000, lowWater: 500, maxHoldMs: 1000 }

export interface StreamExecutorOptions {
  store: MessageStore
  endpointId: string
  target: StreamTarget
  /** Messages read from the store at a time. Default 100. */
  readAhead?: number
  /** Delays before opening a channel again after none was available or one failed. Default 100 ms doubling to 2 s. */
  backoff?: BackoffOptions
  /** Every n-th read goes to the lower priorities first. Default 8. */
  fairnessEvery?: number
  /** How long to wait for new messages, unless `notify()` comes first. Default 1000 ms. */
  idleMs?: number
  /** Back-pressure on the senders; false: none. Default {@link DEFAULT_SENDER_HOLD}. */
  hold?: SenderHold | false
  /** Each message the endpoint acknowledged (metrics). */
  onDelivered?: (message: QueuedMessage) => void
  /** Messages the endpoint refused. Default: logged at warn and dropped. */
  deadLetter?: (messages: readonly QueuedMessage[]) => void | Promise<void>
  clock?: Clock
  logger?: Logger
}

/** A message read from the store and not yet checkpointed. */
interface Entry {
  readonly message: QueuedMessage
  settled: boolean
}

export class StreamExecutor {
  readonly stats: ExecutorStats & { held: number } = { sent: 0, retries: 0, deadLettered: 0, expired: 0, held: 0 }
  private readonly o: Required<Omit<StreamExecutorOptions, 'onDelivered' | 'deadLetter'>> & Pick<StreamExecutorOptions, 'onDelivered' | 'deadLetter'>
  private readonly turns: PriorityTurns
  private readonly checkpoints: Checkpointer
  /** Per priority: what was read and not checkpointed yet, in offset order, and the last offset read. */
  private readonly tracks = new Map<number, { entries: Entry[]; cursor: number }>()
  /** What to send next, in order: what a failed channel left unacknowledged, then what was read ahead. */
  private ready: Entry[] = []
  /** Sent on the current channel and failed because it ended. */
  private unacked: Entry[] = []
  private inflight = 0
  private broken = false
  private streaming = false
  /** notify() came since the last read: read again before waiting. */
  private dirty = false
  private running: Promise<void> | undefined
  private stopping = false
  /** Ends a wait for something to happen (an acknowledgement, notify, stop). */
  private kick: (() => void) | undefined
  /** retryNow() came while no back-off was under way (opening, sending): the next one is skipped. */
  private retryWanted = false
  /** Ends a back-off (retryNow, stop). */
  private halt: (() => void) | undefined
  private readonly holds = new Set<() => void>()

  constructor(options: StreamExecutorOptions) {
    this.o = {
      readAhead: 100,
      backoff: { initialMs: 100, maxMs: 2000, jitter: 0.5 },
      fairnessEvery: 8,
      idleMs: 1000,
      hold: DEFAULT_SENDER_HOLD,
      clock: systemClock,
      logger: silentLogger(),
      ...options,
    }
    this.turns = new PriorityTurns(this.o.store, this.o.endpointId, this.o.fairnessEvery)
    this.checkpoints = new Checkpointer(this.o.store, this.o.endpointId, this.o.logger, () => this.checkHolds())
  }

  start(): void {
    if (this.running) return
    this.stopping = false
    this.running = this.loop().finally(() => (this.running = undefined))
  }

  /** New messages were added: read again now. */
  notify(): void {
    this.dirty = true
    this.kick?.()
  }

  /** The endpoint is reachable again: cut the current back-off short, or skip the next one if none is under way. */
  retryNow(): void {
    this.retryWanted = true
    this.halt?.()
  }

  /**
   * Stops sending; what is in flight and acknowledged later is not checkpointed (delivered again after a restart).
   * Resolves once the checkpoints already asked for are committed.
   */
  async stop(): Promise<void> {
    this.stopping = true
    this.kick?.()
    this.halt?.()
    this.releaseHolds()
    await this.running
    await this.checkpoints.drain()
  }

  /**
   * For the router, once a message for this endpoint is stored: undefined if its sender may have its
   * acknowledgement now, else a promise that resolves when it may (see the file's comment).
   */
  holdSender(): Promise<void> | undefined {
    const hold = this.o.hold
    if (!hold || !this.streaming) return undefined
    // Once holding, every sender waits its turn until the queue is back under the low mark.
    if (this.holds.size === 0 && this.backlog() < hold.highWater) return undefined
    this.stats.held++
    return new Promise<void>((resolve) => {
      const timer = this.o.clock.setTimeout(() => release(), hold.maxHoldMs)
      const release = (): void => {
        timer.cancel()
        this.holds.delete(release)
        resolve()
      }
      this.holds.add(release)
    })
  }

  private backlog(): number {
    return this.o.store.queuedFor(this.o.endpointId)
  }

  private checkHolds(): void {
    if (this.holds.size > 0 && this.o.hold && this.backlog() <= this.o.hold.lowWater) this.releaseHolds()
  }

  private releaseHolds(): void {
    for (const release of [...this.holds]) release()
  }

  private async loop(): Promise<void> {
    let attempt = 0
    while (!this.stopping) {
      try {
        if (this.ready.length === 0 && !(await this.fill())) {
          if (!this.dirty) await this.wait(this.o.idleMs)
          continue
        }
        const channel = await this.o.target.open()
        if (this.stopping) break
        if (channel && (await this.stream(channel))) attempt = 0
        if (!channel || this.broken) await this.backoff(attempt++)
      } catch (err) {
        // The store failing (disk error): log, wait, try again. Nothing unsettled was checkpointed, so nothing is lost.
        this.o.logger.warn({ event: 'endpoint.iteration_failed', endpointId: this.o.endpointId, err }, 'endpoint executor iteration failed')
        await this.wait(this.o.idleMs)
      }
    }
  }

  /** Streams on `channel` until it fails or the executor stops; true if anything was acknowledged. */
  private async stream(channel: DeliveryChannel): Promise<boolean> {
    const before = this.stats.sent
    this.broken = false
    this.streaming = true
    try {
      while (!this.stopping && !this.broken) {
        if (this.inflight >= channel.window) {
          await this.wait()
          continue
        }
        const entry = this.ready.shift()
        if (!entry) {
          if (!(await this.fill()) && !this.dirty) await this.wait(this.o.idleMs)
          continue
        }
        if (entry.message.expiresAt <= this.o.clock.now()) {
          this.stats.expired++
          this.settle(entry)
          continue
        }
        this.send(channel, entry)
      }
      // The channel ends by rejecting everything in flight: wait for that, so what it left goes first, in order.
      while (this.inflight > 0 && !this.stopping) await this.wait()
    } finally {
      this.streaming = false
      this.releaseHolds()
      if (this.unacked.length > 0) {
        this.unacked.sort((a, b) => a.message.offset - b.message.offset)
        this.ready = [...this.unacked, ...this.ready]
        this.unacked = []
      }
    }
    return this.stats.sent > before
  }

  private send(channel: DeliveryChannel, entry: Entry): void {
    this.inflight++
    let sent: Promise<void | 'refused'>
    try {
      sent = channel.send(entry.message)
    } catch (err) {
      sent = Promise.reject(err)
    }
    sent.then(
      (outcome) => {
        this.inflight--
        if (outcome === 'refused') this.refused(entry.message)
        else {
          this.stats.sent++
          this.o.onDelivered?.(entry.message)
        }
        this.settle(entry)
        this.kick?.()
      },
      (err: unknown) => {
        this.inflight--
        if (!this.broken) this.o.logger.debug({ event: 'endpoint.send_failed', endpointId: this.o.endpointId, err }, 'delivery channel failed')
        this.broken = true
        this.unacked.push(entry)
        this.kick?.()
      },
    )
  }

  private refused(message: QueuedMessage): void {
    this.stats.deadLettered++
    if (!this.o.deadLetter) {
      this.o.logger.warn({ event: 'endpoint.dead_letter', endpointId: this.o.endpointId, offsets: [message.offset] }, 'a message refused by the endpoint was dropped')
      return
    }
    Promise.resolve()
      .then(() => this.o.deadLetter!([message]))
      .catch((err: unknown) => this.o.logger.warn({ event: 'endpoint.dead_letter_failed', endpointId: this.o.endpointId, err }, 'dead-lettering failed'))
  }

  /** Marks `entry` done and checkpoints the queue's settled prefix. */
  private settle(entry: Entry): void {
    entry.settled = true
    if (this.stopping) return
    const track = this.tracks.get(entry.message.priority)!
    let last: Entry | undefined
    while (track.entries.length > 0 && track.entries[0]!.settled) last = track.entries.shift()
    if (last) this.checkpoints.later(last.message.priority, last.message.offset)
  }

  /** Reads the next chunk of the priority whose turn it is into `ready`; false when every queue is read out. */
  private async fill(): Promise<boolean> {
    this.dirty = false
    for (const priority of this.turns.next()) {
      let track = this.tracks.get(priority)
      if (!track) this.tracks.set(priority, (track = { entries: [], cursor: 0 }))
      const chunk = await this.o.store.read({ endpointId: this.o.endpointId, priority, from: track.cursor + 1, limit: this.o.readAhead })
      if (chunk.length === 0) continue
      track.cursor = chunk.at(-1)!.offset
      for (const message of chunk) {
        const entry = { message, settled: false }
        track.entries.push(entry)
        this.ready.push(entry)
      }
      return true
    }
    return false
  }

  /** Waits for an acknowledgement, notify() or stop (or `ms`, if given). */
  private wait(ms?: number): Promise<void> {
    if (this.stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : this.o.clock.setTimeout(() => done(), ms)
      const done = (): void => {
        timer?.cancel()
        this.kick = undefined
        this.halt = undefined
        resolve()
      }
      this.kick = done
      this.halt = done
    })
  }

  /** Waits out the back-off of `attempt`; only retryNow() and stop() cut it short. */
  private backoff(attempt: number): Promise<void> {
    if (this.stopping) return Promise.resolve()
    if (this.retryWanted) {
      this.retryWanted = false
      return Promise.resolve()
    }
    this.stats.retries++
    const delay = backoffDelay(attempt, this.o.backoff)
    this.o.logger.debug({ event: 'endpoint.retry', endpointId: this.o.endpointId, attempt, delayMs: delay }, 'endpoint not reachable; retrying')
    return new Promise((resolve) => {
      const timer = this.o.clock.setTimeout(() => done(), delay)
      const done = (): void => {
        timer.cancel()
        this.halt = undefined
        this.retryWanted = false
        resolve()
      }
      this.halt = done
    })
  }
}
