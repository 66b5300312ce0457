/**
 * Azure's restart rules (`RestartPolicyManager.cs`, reference §4), with `on-unhealthy` made to work when the
 * runtime reports health:
 * - exit code 0 → `stopped`, non-zero → `failed`;
 * - a module that should run is restarted if its policy is `always` (stopped, failed or unhealthy), `on-failure`
 *   and it failed, or `on-unhealthy` and it failed or is unhealthy. It then shows `backoff` until the restart;
 * - the restart waits min(10 s × 2^restartCount, 300 s) after the exit;
 * - after {@link RestartPolicyOptions.maxRestarts} restarts it shows `failed` and stays down (until a new deployment
 *   changes it, or the agent is asked to restart it);
 * - the count resets once the module has run for {@link RestartPolicyOptions.healthyAfterMs}.
 */
import type { Clock } from '@ledge/common'
import type { CurrentModule, DesiredModule, RuntimeStatus } from './model.js'

export interface RestartPolicyOptions {
  /** Azure's MaxRestartCount: 20. */
  maxRestarts: number
  /** Azure's CoolOffTimeUnitInSeconds: 10 s. */
  coolOffUnitMs: number
  /** Azure's MaxCoolOffPeriodSecs: 300 s. */
  maxCoolOffMs: number
  /** Azure's IntensiveCareTime: 10 minutes. */
  healthyAfterMs: number
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  maxRestarts: 20,
  coolOffUnitMs: 10_000,
  maxCoolOffMs: 300_000,
  healthyAfterMs: 10 * 60_000,
}

function time(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined
  const t = Date.parse(iso)
  return Number.isNaN(t) ? undefined : t
}

export class RestartPolicyManager {
  readonly options: RestartPolicyOptions

  constructor(
    private readonly clock: Clock,
    options: Partial<RestartPolicyOptions> = {},
  ) {
    this.options = { ...DEFAULT_RESTART_POLICY, ...options }
  }

  /** The wait before restart number `restartCount + 1`. */
  coolOffMs(restartCount: number): number {
    return Math.min(this.options.coolOffUnitMs * 2 ** restartCount, this.options.maxCoolOffMs)
  }

  /** Whether the policy wants a module in this state restarted (ignoring the count and the wait). */
  wantsRestart(policy: DesiredModule['restartPolicy'], status: CurrentModule['status']): boolean {
    switch (policy) {
      case 'always':
        return status === 'stopped' || status === 'failed' || status === 'unhealthy'
      case 'on-failure':
        return status === 'failed'
      case 'on-unhealthy':
        return status === 'failed' || status === 'unhealthy'
      case 'never':
        return false
    }
  }

  /** The runtime status to report and plan with: `backoff` while a restart is due, `failed` past the limit. */
  runtimeStatus(current: CurrentModule, desired: DesiredModule | undefined): RuntimeStatus {
    const status = current.status
    if (!desired || desired.status !== 'running') return status
    const neverStarted = current.lastStartTimeUtc === undefined && current.exitCode === undefined
    if (neverStarted || !this.wantsRestart(desired.restartPolicy, status)) return status
    return current.restartCount >= this.options.maxRestarts ? 'failed' : 'backoff'
  }

  /** When a module in `backoff` may be restarted (epoch ms): its exit (or start, when unhealthy) plus the cool-off. */
  restartDueAt(current: CurrentModule): number {
    const since = current.status === 'unhealthy'
      ? Math.max(time(current.lastStartTimeUtc) ?? 0, time(current.lastRestartTimeUtc) ?? 0)
      : (time(current.lastExitTimeUtc) ?? time(current.lastRestartTimeUtc) ?? 0)
    return since + this.coolOffMs(current.restartCount)
  }

  shouldRestartNow(current: CurrentModule, desired: DesiredModule): boolean {
    if (this.runtimeStatus(current, desired) !== 'backoff') return false
    const due = this.restartDueAt(current)
    // An exit time in the future (a clock that moved back) does not hold the restart up (as Azure).
    const since = due - this.coolOffMs(current.restartCount)
    return since > this.clock.now() || this.clock.now() >= due
  }

  /** A running module whose restart stats can be cleared: it has run healthily long enough. */
  shouldResetStats(current: CurrentModule): boolean {
    if (current.status !== 'running' || (current.restartCount === 0 && current.lastRestartTimeUtc === undefined)) return false
    const since = Math.max(time(current.lastStartTimeUtc) ?? 0, time(current.lastRestartTimeUtc) ?? 0)
    return since > 0 && this.clock.now() - since >= this.options.healthyAfterMs
  }
}
