/** Resolves with the first value `poll` returns that is not undefined, or rejects after `ms` naming `what`. */
export async function eventually<T>(poll: () => Promise<T | undefined> | T | undefined, ms = 10_000, what = 'condition', intervalMs = 50): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await poll()
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
