/** A coalesced wake-up for the loop: any number of `notify()` calls between two waits wake it once. */
export class Wakeup {
  private pending = false
  private resolve: (() => void) | undefined

  notify(): void {
    this.pending = true
    this.resolve?.()
  }

  /** Resolves after `ms`, or at once when notified since the last wait, or when `signal` aborts. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.resolve = undefined
        this.pending = false
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
      this.resolve = done
    })
  }
}
