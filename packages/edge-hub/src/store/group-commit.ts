/**
 * Group commit: every item pushed while a commit runs (or during the same turn of the event loop) joins the next
 * commit, so N concurrent adds cost one transaction and one fsync instead of N.
 *
 * The first push schedules a commit with `setImmediate`, after the I/O callbacks of the current loop turn, so the
 * PUBLISHes parsed from one socket read share a commit. A batch holds at most `maxItems` items and `maxBytes` bytes
 * (the first item always fits); the rest waits for the next commit, which starts one event-loop turn after this one
 * ends.
 */
export interface GroupCommitLimits {
  maxItems: number
  maxBytes: number
}

export class GroupCommit<T> {
  private pending: T[] = []
  private pendingBytes = 0
  private running: Promise<void> | undefined
  private scheduled = false
  private idleWaiters: (() => void)[] = []

  constructor(
    private readonly commit: (batch: T[]) => Promise<void> | void,
    private readonly weight: (item: T) => number,
    private readonly limits: GroupCommitLimits,
    /** Settles an item when `commit` throws instead of settling the batch itself (an engine bug). */
    private readonly fail: (item: T, err: unknown) => void,
  ) {}

  /** Items waiting for a commit (not counting the one running). */
  get queuedBytes(): number {
    return this.pendingBytes
  }

  push(item: T): void {
    this.pending.push(item)
    this.pendingBytes += this.weight(item)
    if (this.scheduled || this.running) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.running = this.drain()
    })
  }

  /** Resolves when every item pushed so far has been committed (or failed). */
  idle(): Promise<void> {
    if (!this.running && !this.scheduled && this.pending.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private take(): T[] {
    let n = 0
    let bytes = 0
    while (n < this.pending.length && n < this.limits.maxItems) {
      const w = this.weight(this.pending[n]!)
      if (n > 0 && bytes + w > this.limits.maxBytes) break
      bytes += w
      n++
    }
    this.pendingBytes -= bytes
    return this.pending.splice(0, n)
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      // The commit function settles each item itself; a throw here is a bug of the engine, not of one item.
      const batch = this.take()
      try {
        await this.commit(batch)
      } catch (err) {
        for (const item of batch) this.fail(item, err)
      }
      // Back to the event loop before the next commit: a synchronous engine would otherwise chain commits in
      // microtasks (its callers add again as soon as they are resolved) and starve sockets and timers.
      await new Promise((resolve) => setImmediate(resolve))
    }
    this.running = undefined
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }
}
