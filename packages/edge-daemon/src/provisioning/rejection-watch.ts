/**
 * aziot's `Dynamic` reprovisioning: when the hub rejects the device's credentials (401: the device was deleted,
 * moved to another hub, or its keys rotated), the device asks DPS again. This decorator of the identity hub notices
 * the rejections; {@link RejectionHandler} asks DPS at most once per `minIntervalMs`, so that a hub that keeps
 * refusing does not turn into a registration storm.
 */
import { isAppError, type Logger } from '@ledge/common'
import type { IdentityHub } from '../identity/identity-manager.js'

export const DEFAULT_REPROVISION_INTERVAL_MS = 30_000

/** The same hub, calling `onRejected` (without waiting for it) whenever the hub answers 401. */
export function watchRejections(hub: IdentityHub, onRejected: () => void): IdentityHub {
  const watch = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    try {
      return await f(...a)
    } catch (err) {
      if (isAppError(err) && err.kind === 'unauthorized') onRejected()
      throw err
    }
  }
  return {
    getModule: watch((m: string) => hub.getModule(m)),
    listModules: watch(() => hub.listModules()),
    createModule: watch((m: string, by: string) => hub.createModule(m, by)),
    updateModule: watch((m: string, by: string) => hub.updateModule(m, by)),
    deleteModule: watch((m: string) => hub.deleteModule(m)),
  }
}

/** Runs `reprovision` on a rejection: one at a time, and not again within `minIntervalMs` of the last. */
export class RejectionHandler {
  private running: Promise<void> | undefined
  private lastAt = -Infinity
  private closed = false

  constructor(private readonly o: { reprovision: () => Promise<void>; log: Logger; minIntervalMs?: number; now?: () => number }) {}

  readonly onRejected = (): void => {
    const now = (this.o.now ?? Date.now)()
    if (this.closed || this.running || now - this.lastAt < (this.o.minIntervalMs ?? DEFAULT_REPROVISION_INTERVAL_MS)) return
    this.lastAt = now
    this.o.log.warn({ event: 'provisioning.rejected' }, 'the hub rejected the device: asking DPS again (auto_reprovisioning_mode = "Dynamic")')
    this.running = this.o.reprovision()
      .catch((err: unknown) => this.o.log.error({ err, event: 'provisioning.reprovision_failed' }, 'reprovisioning through DPS failed'))
      .finally(() => (this.running = undefined))
  }

  /** Stops reacting and waits for a reprovisioning in progress. */
  async close(): Promise<void> {
    this.closed = true
    await this.running
  }
}
