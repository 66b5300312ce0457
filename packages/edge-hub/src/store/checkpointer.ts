/**
 * Checkpoints an endpoint's queues without holding up its deliveries: the executor already reads past what it
 * checkpoints, and the store's commit of a checkpoint queues behind the adds being committed (tens of ms under
 * load). While one checkpoint of a queue is being committed, later offsets are coalesced into the next. A crash
 * before one is durable redelivers from the last durable one (at-least-once).
 */
import type { Logger } from '@ledge/common'
import type { MessageStore } from './message-store.js'

export class Checkpointer {
  /** Per priority: the commit in progress, and the newest offset to commit after it (coalesced). */
  private readonly pending = new Map<number, { next: number | undefined; done: Promise<void> }>()

  constructor(
    private readonly store: MessageStore,
    private readonly endpointId: string,
    private readonly logger: Logger,
    /** After each commit (the queue got shorter: the stream executor's back-pressure looks again). */
    private readonly onCommitted?: () => void,
  ) {}

  /** Everything of queue `priority` up to `offset` is delivered; committed in the background. */
  later(priority: number, offset: number): void {
    const current = this.pending.get(priority)
    if (current) {
      current.next = offset
      return
    }
    const entry: { next: number | undefined; done: Promise<void> } = { next: offset, done: Promise.resolve() }
    this.pending.set(priority, entry)
    entry.done = (async () => {
      for (let o = entry.next; o !== undefined; o = entry.next) {
        entry.next = undefined
        try {
          await this.store.checkpoint(this.endpointId, priority, o)
          this.onCommitted?.()
        } catch (err) {
          // Not lost: the next checkpoint covers it, or a restart redelivers from the last durable one.
          this.logger.warn({ event: 'endpoint.checkpoint_failed', endpointId: this.endpointId, err }, 'endpoint checkpoint failed')
        }
      }
      this.pending.delete(priority)
    })()
  }

  /** Resolves once every checkpoint asked for so far is committed (or failed). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending.values()].map((c) => c.done))
  }
}
