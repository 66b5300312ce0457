/** The reconcile loop: every interval, at once on a wake-up (coalesced), each pass bounded by a timeout. */
import type { Logger } from '@ledge/common'
import type { Agent } from './agent.js'
import type { Wakeup } from './wakeup.js'

export interface LoopOptions {
  agent: Agent
  wakeup: Wakeup
  intervalMs: number
  timeoutMs: number
  signal: AbortSignal
  log: Logger
}

export async function reconcileLoop(o: LoopOptions): Promise<void> {
  while (!o.signal.aborted) {
    // The pass gets its own signal: a timeout aborts the pass, not the loop.
    const pass = AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)])
    try {
      const r = await Promise.race([
        o.agent.reconcileOnce(pass),
        new Promise<never>((_, reject) => pass.addEventListener('abort', () => reject(pass.reason ?? new Error('aborted')), { once: true })),
      ])
      o.log.debug({ event: 'reconcile.done', code: r.status.code, commands: r.commands, version: r.version }, 'reconciled')
    } catch (err) {
      if (o.signal.aborted) break
      o.log.warn({ event: 'reconcile.failed', err }, 'reconcile failed')
    }
    await o.wakeup.wait(o.intervalMs, o.signal)
  }
}
