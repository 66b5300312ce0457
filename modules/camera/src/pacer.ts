/**
 * Paces the capture at `fps`. Deadlines advance by whole intervals so the rate does not drift with the work done
 * between ticks; after a stall longer than one interval (a slow send, a source restart) the pace restarts from now
 * instead of bursting to catch up, as a camera drops frames rather than sending them late.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export interface PacerClock {
  now(): number
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

export const systemClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
}

/** The next deadline after `previous`, given the time `now`. Pure. */
export function nextDeadline(previous: number | undefined, now: number, intervalMs: number): number {
  if (previous === undefined) return now
  const next = previous + intervalMs
  return next < now - intervalMs ? now : next
}

export class Pacer {
  private deadline: number | undefined
  private intervalMs: number

  constructor(fps: number, private readonly clock: PacerClock = systemClock) {
    this.intervalMs = 1000 / fps
  }

  setFps(fps: number): void {
    this.intervalMs = 1000 / fps
  }

  /** Resolves at the next tick (at once for the first); rejects with an AbortError when `signal` aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    const now = this.clock.now()
    this.deadline = nextDeadline(this.deadline, now, this.intervalMs)
    const ms = this.deadline - now
    if (ms > 0) await this.clock.sleep(ms, signal)
    signal.throwIfAborted()
  }
}
