/** Latency samples and their percentiles. */

/** A growable Float64Array, capped so a runaway phase cannot take the machine's memory. */
export class Samples {
  private buf = new Float64Array(1024)
  private n = 0
  /** Samples offered after the cap was reached. */
  dropped = 0

  constructor(private readonly cap = 4_000_000) {}

  add(v: number): void {
    if (this.n === this.buf.length) {
      if (this.n >= this.cap) {
        this.dropped++
        return
      }
      const next = new Float64Array(Math.min(this.cap, this.buf.length * 2))
      next.set(this.buf)
      this.buf = next
    }
    this.buf[this.n++] = v
  }

  get length(): number {
    return this.n
  }

  toArray(): Float64Array {
    return this.buf.slice(0, this.n)
  }
}

export interface Summary {
  count: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** Percentiles by the nearest-rank method over every sample (no histogram bucketing). */
export function summarise(...parts: Float64Array[]): Summary | undefined {
  const total = parts.reduce((n, p) => n + p.length, 0)
  if (total === 0) return undefined
  const all = new Float64Array(total)
  let at = 0
  for (const p of parts) {
    all.set(p, at)
    at += p.length
  }
  all.sort()
  const rank = (q: number): number => all[Math.min(total - 1, Math.max(0, Math.ceil(q * total) - 1))]!
  let sum = 0
  for (const v of all) sum += v
  return { count: total, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: all[total - 1]!, mean: sum / total }
}

export function mergeCounts(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v
  return into
}
