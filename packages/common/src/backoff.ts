/** Exponential back-off with full jitter, capped. */
export interface BackoffOptions {
  initialMs: number
  maxMs: number
  factor?: number
  /** 0..1: the share of each delay that is randomised. */
  jitter?: number
}

export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs, o.initialMs * (o.factor ?? 2) ** Math.max(0, attempt))
  const jitter = o.jitter ?? 0.5
  return Math.round(base * (1 - jitter) + base * jitter * random())
}
