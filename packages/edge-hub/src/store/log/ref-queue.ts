/**
 * One queue (endpoint, priority) of the log engine, in memory: the offsets and expiries of its references after the
 * checkpoint, oldest first, as two parallel arrays with a moving head (a deque that only grows at the tail).
 * An expired reference in the middle is marked with expiry -1 (a tombstone) and skipped.
 */
export class RefQueue {
  checkpoint = 0
  /** Live references (not tombstoned). */
  length = 0
  private seqs: number[] = []
  private exps: number[] = []
  private head = 0
  /** Whether expiries never decrease from head to tail (the usual case: one TTL per route), so expired = a prefix. */
  private sorted = true

  constructor(
    readonly id: number,
    readonly endpointId: string,
    readonly priority: number,
  ) {}

  push(seq: number, expiresAt: number): void {
    const last = this.exps.length > this.head ? this.exps[this.exps.length - 1]! : -Infinity
    if (expiresAt < last) this.sorted = false
    this.seqs.push(seq)
    this.exps.push(expiresAt)
    this.length++
  }

  /** Live references with seq >= from and not expired at `now`, at most `limit`. */
  collect(from: number, now: number, limit: number): { seq: number; expiresAt: number }[] {
    const out: { seq: number; expiresAt: number }[] = []
    for (let i = this.lowerBound(from); i < this.seqs.length && out.length < limit; i++) {
      const exp = this.exps[i]!
      if (exp > now) out.push({ seq: this.seqs[i]!, expiresAt: exp })
    }
    return out
  }

  /** Removes the references up to `through`; calls `gone` for each live one. Returns how many were live. */
  popThrough(through: number, gone: (seq: number) => void): number {
    let n = 0
    while (this.head < this.seqs.length && this.seqs[this.head]! <= through) {
      if (this.exps[this.head]! >= 0) {
        n++
        gone(this.seqs[this.head]!)
      }
      this.head++
    }
    this.length -= n
    this.compact()
    return n
  }

  /**
   * Tombstones references expired at `now`, visiting at most `budget` entries; calls `gone` for each. Returns
   * [removed, visited, earliest remaining expiry (Infinity if unknown or none)]. With sorted expiries only the
   * expired prefix is visited.
   */
  expire(now: number, budget: number, gone: (seq: number) => void): [number, number, number] {
    let removed = 0
    let visited = 0
    if (this.sorted) {
      while (this.head < this.seqs.length && visited < budget) {
        const exp = this.exps[this.head]!
        if (exp >= 0 && exp > now) break
        visited++
        if (exp >= 0) {
          removed++
          gone(this.seqs[this.head]!)
        }
        this.head++
      }
      this.length -= removed
      this.compact()
      const next = this.head < this.seqs.length ? this.exps[this.head]! : Infinity
      return [removed, visited, next]
    }
    let earliest = Infinity
    for (let i = this.head; i < this.seqs.length; i++) {
      visited++
      const exp = this.exps[i]!
      if (exp < 0) continue
      if (exp <= now) {
        this.exps[i] = -1
        removed++
        gone(this.seqs[i]!)
      } else if (exp < earliest) earliest = exp
    }
    this.length -= removed
    while (this.head < this.seqs.length && this.exps[this.head]! < 0) this.head++
    this.compact()
    return [removed, visited, earliest]
  }

  /** The earliest expiry among live references (Infinity when none), exact for sorted queues. */
  earliestExpiry(): number {
    if (this.sorted) {
      for (let i = this.head; i < this.exps.length; i++) if (this.exps[i]! >= 0) return this.exps[i]!
      return Infinity
    }
    let e = Infinity
    for (let i = this.head; i < this.exps.length; i++) if (this.exps[i]! >= 0 && this.exps[i]! < e) e = this.exps[i]!
    return e
  }

  /** Every live reference (recovery, removal). */
  *live(): Iterable<number> {
    for (let i = this.head; i < this.seqs.length; i++) if (this.exps[i]! >= 0) yield this.seqs[i]!
  }

  private lowerBound(from: number): number {
    let lo = this.head
    let hi = this.seqs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.seqs[mid]! < from) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private compact(): void {
    if (this.head === this.seqs.length) {
      this.seqs = []
      this.exps = []
      this.head = 0
      this.sorted = true
    } else if (this.head > 4096 && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head)
      this.exps = this.exps.slice(this.head)
      this.head = 0
    }
  }
}
