/**
 * Which of an endpoint's priority queues (0 = highest) to serve next: the highest non-empty one, except every
 * `fairnessEvery`-th turn, which goes to the lower priorities in turn. With all queues busy and 8, priority 0 gets
 * 7/8 of the turns and the others share 1/8: high priority first, but no queue starves forever (iotedge always goes
 * back to the top and can starve the rest).
 */
import type { MessageStore } from './message-store.js'

export class PriorityTurns {
  private turn = 0
  private lowerTurn = 0

  constructor(private readonly store: MessageStore, private readonly endpointId: string, private readonly fairnessEvery: number) {}

  /** The non-empty priorities to try, in order, for this turn. */
  next(): number[] {
    const priorities = [...new Set(this.store.stats().queues.filter((q) => q.endpointId === this.endpointId && q.length > 0).map((q) => q.priority))].sort((a, b) => a - b)
    this.turn++
    if (priorities.length > 1 && this.turn % this.fairnessEvery === 0) {
      const lower = priorities.slice(1)
      const first = lower[this.lowerTurn++ % lower.length]!
      return [first, ...priorities.filter((p) => p !== first)]
    }
    return priorities
  }
}
