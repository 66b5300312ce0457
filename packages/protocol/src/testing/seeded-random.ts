/** A deterministic random source for the fuzz tests (mulberry32: small, fast), so that a failure replays. */
export function seededRandom(seed: number): { random: () => number; int: (n: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean } {
  let a = seed >>> 0
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(random() * n)
  return { random, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!, chance: (p: number) => random() < p }
}
