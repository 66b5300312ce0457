/** Time, behind an interface so that timers and expiry can be tested with a {@link TestClock}. */

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): { cancel(): void }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return { cancel: () => clearTimeout(t) }
  },
}

/** A clock that moves only when told to. */
export class TestClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = []
  private nextId = 0
  constructor(private current = 0) {}

  now(): number {
    return this.current
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const id = this.nextId++
    this.timers.push({ at: this.current + ms, fn, id })
    return { cancel: () => void (this.timers = this.timers.filter((t) => t.id !== id)) }
  }

  advance(ms: number): void {
    const until = this.current + ms
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at)
      const next = this.timers[0]
      if (!next || next.at > until) break
      this.timers.shift()
      this.current = next.at
      next.fn()
    }
    this.current = until
  }
}
