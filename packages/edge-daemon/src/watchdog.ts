/**
 * The daemon's own reconcile loop (aziot-edged's watchdog.rs): its one desired state is "the edge agent runs, with
 * the configured settings and its current identity". Every `interval` (and soon after the agent exits):
 * missing → ensure `$edgeAgent`, create, start; config or generation id changed → recreate; stopped or failed →
 * start again, with exponential back-off while it keeps failing; dead or unknown → remove and recreate.
 */
import { createHash } from 'node:crypto'
import { backoffDelay, type BackoffOptions, type Logger } from '@ledge/common'
import type { ModuleState } from '@ledge/module-runtime'
import type { ModuleSpec } from '@ledge/protocol'
import type { IdentityManager } from './identity/identity-manager.js'
import { LABELS, type ModuleService } from './modules/module-service.js'
import { AGENT_MODULE_ID } from './modules/names.js'

export interface WatchdogOptions {
  modules: ModuleService
  identities: IdentityManager
  /** Subscribes to the agent runtime's events (ModuleRuntime.onEvent). */
  onEvent: (listener: (e: { name: string; status: string }) => void) => () => void
  agentSpec: ModuleSpec
  intervalMs: number
  backoff?: BackoffOptions
  /** A start that keeps running this long resets the back-off. */
  stableMs?: number
  log: Logger
  now?: () => number
}

export const DEFAULT_AGENT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 60_000, factor: 2, jitter: 0.2 }

export function configHash(spec: ModuleSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16)
}

export class Watchdog {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  private stopped = false
  /** Starts of the agent since it last ran for `stableMs`: the restart back-off. */
  private failures = 0
  /** Consecutive passes that threw (hub unreachable, runtime error): the retry back-off. */
  private passErrors = 0
  private lastStartAt = 0
  private unsubscribe: (() => void) | undefined
  private readonly hash: string
  private readonly now: () => number

  constructor(private readonly o: WatchdogOptions) {
    this.hash = configHash(o.agentSpec)
    this.now = o.now ?? Date.now
  }

  start(): void {
    this.unsubscribe = this.o.onEvent((e) => {
      if (e.name !== this.o.agentSpec.name || this.stopped) return
      if (e.status === 'stopped' || e.status === 'failed' || e.status === 'dead') {
        const delay = this.delay()
        this.o.log.warn({ event: 'agent.exited', status: e.status, retryInMs: delay }, 'the edge agent exited')
        this.schedule(delay)
      }
    })
    this.schedule(0)
  }

  /** Stops the loop and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    if (this.timer) clearTimeout(this.timer)
    await this.running
  }

  /** One pass (serialised with the loop's). */
  tick(): Promise<void> {
    this.running = this.running.then(() => this.pass()).then(
      () => void (this.passErrors = 0),
      (err: unknown) => {
        this.passErrors++
        this.o.log.warn({ err, event: 'watchdog.failed', attempts: this.passErrors }, 'watchdog pass failed; will retry')
      },
    )
    return this.running
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.tick().then(() => this.schedule(this.passErrors > 0 ? this.delay(this.passErrors) : this.o.intervalMs))
    }, delayMs)
    this.timer.unref()
  }

  private delay(attempts = this.failures): number {
    return backoffDelay(Math.max(0, attempts - 1), this.o.backoff ?? DEFAULT_AGENT_BACKOFF)
  }

  private async pass(): Promise<void> {
    if (this.stopped) return
    const { modules, agentSpec: spec, log } = this.o
    const identity = await this.o.identities.ensure(AGENT_MODULE_ID)
    const state = await modules.get(spec.name)
    const labels = { [LABELS.configHash]: this.hash }
    if (!state) {
      log.info({ event: 'agent.create' }, 'creating the edge agent')
      await modules.create(spec, labels)
      return this.startAgent()
    }
    const why = this.recreateReason(state, identity.generationId)
    if (why) {
      log.info({ event: 'agent.recreate', why }, `recreating the edge agent: ${why}`)
      await modules.update(spec, false, labels)
      return this.startAgent()
    }
    if (state.status === 'running') {
      if (this.failures > 0 && this.now() - this.lastStartAt >= (this.o.stableMs ?? 60_000)) this.failures = 0
      return
    }
    log.info({ event: 'agent.start', status: state.status, exitCode: state.exitCode }, 'starting the edge agent')
    await this.startAgent()
  }

  private recreateReason(state: ModuleState, generationId: string): string | undefined {
    if (state.status === 'dead' || state.status === 'unknown') return `its status is ${state.status}`
    if (state.config.labels?.[LABELS.configHash] !== this.hash) return 'its configuration changed'
    if (state.config.labels?.[LABELS.generationId] !== generationId) return 'its identity was recreated (new generation id)'
    return undefined
  }

  private async startAgent(): Promise<void> {
    if (this.lastStartAt !== 0) this.failures++
    this.lastStartAt = this.now()
    await this.o.modules.start(this.o.agentSpec.name)
  }
}
