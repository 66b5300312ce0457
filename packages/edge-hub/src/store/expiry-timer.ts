/**
 * Wakes the TTL cleaner at the earliest expiry it was told about, no more often than every `minIntervalMs`, and at
 * least every `maxDelayMs` (Node's timers overflow past 2^31 ms, and a long sleep should re-check anyway).
 */
import type { Clock } from '@ledge/common'

export class ExpiryTimer {
  private at = Infinity
  private handle: { cancel(): void } | undefined
  private lastRun = -Infinity

  constructor(
    private readonly clock: Clock,
    private readonly run: () => void,
    private readonly minIntervalMs = 200,
    private readonly maxDelayMs = 60 * 60 * 1000,
  ) {}

  /** Makes sure the cleaner runs at `expiresAt` (or soon after). */
  scheduleAt(expiresAt: number): void {
    if (!Number.isFinite(expiresAt)) return
    const now = this.clock.now()
    const at = Math.max(expiresAt, this.lastRun + this.minIntervalMs, now)
    if (at >= this.at) return
    this.handle?.cancel()
    this.at = at
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined
      this.at = Infinity
      this.lastRun = this.clock.now()
      this.run()
    }, Math.min(at - now, this.maxDelayMs))
  }

  cancel(): void {
    this.handle?.cancel()
    this.handle = undefined
    this.at = Infinity
  }
}
