/**
 * Runs a plan in order (iotedge `OrderedRetryPlanRunner`), never throwing for one failed command: each command's
 * outcome is collected. A command that failed is retried on a later run with a cool-off of
 * min(coolOffUnit × 2^(failures − 1), maxCoolOff), keyed by its id; until then it is skipped. All of that state is
 * dropped when a new deployment arrives, so a fixed deployment is tried at once (Azure #6971, where retries stopped
 * until the agent restarted). A prerequisite that fails (or cools off) stops every later command that is not one
 * (ModuleUpdateMode=WaitForAllPulls: no module is touched until every image is there).
 */
import type { Clock, Logger } from '@ledge/common'
import type { Command, Plan } from '../planner/command.js'

export type CommandResult = 'succeeded' | 'failed' | 'skipped'

export interface CommandOutcome {
  id: string
  description: string
  result: CommandResult
  /** The error of this run (failed) or of the last run (skipped while cooling off). */
  error?: string
  /** Epoch ms from which a failed or skipped command is tried again. */
  retryAt?: number
}

export interface RunResult {
  deploymentId: string
  outcomes: CommandOutcome[]
  /** Every command succeeded. */
  ok: boolean
  /** The prerequisites that did not succeed: then no other command ran. */
  blockedBy?: CommandOutcome[]
}

export interface PlanRunner {
  run(deploymentId: string, plan: Plan, signal: AbortSignal): Promise<RunResult>
}

export interface RetryOptions {
  coolOffUnitMs: number
  maxCoolOffMs: number
  /** Give a command up for this deployment after so many failures (default: never give up). */
  maxAttempts: number
}

export const DEFAULT_RETRY: RetryOptions = { coolOffUnitMs: 10_000, maxCoolOffMs: 300_000, maxAttempts: Number.POSITIVE_INFINITY }

interface Failure {
  count: number
  at: number
  error: string
}

export class OrderedRetryPlanRunner implements PlanRunner {
  private deploymentId: string | undefined
  private readonly failures = new Map<string, Failure>()
  private readonly options: RetryOptions

  constructor(private readonly d: { clock: Clock; log: Logger; retry?: Partial<RetryOptions> }) {
    this.options = { ...DEFAULT_RETRY, ...d.retry }
  }

  private coolOffMs(count: number): number {
    return Math.min(this.options.coolOffUnitMs * 2 ** Math.max(0, count - 1), this.options.maxCoolOffMs)
  }

  async run(deploymentId: string, plan: Plan, signal: AbortSignal): Promise<RunResult> {
    if (deploymentId !== this.deploymentId) {
      if (this.failures.size > 0) this.d.log.info({ event: 'runner.reset', deploymentId, previous: this.deploymentId }, 'new deployment: command retries reset')
      this.failures.clear()
      this.deploymentId = deploymentId
    }
    const outcomes: CommandOutcome[] = []
    const blockedBy: CommandOutcome[] = []
    for (const command of plan) {
      if (blockedBy.length > 0 && !command.prerequisite) {
        const why = blockedBy.map((o) => o.description).join(', ')
        outcomes.push({ id: command.id, description: command.describe(), result: 'skipped', error: `not run: a prerequisite did not succeed (${why})` })
        continue
      }
      const outcome = await this.runOne(command, signal)
      if (command.prerequisite && outcome.result !== 'succeeded') blockedBy.push(outcome)
      outcomes.push(outcome)
    }
    return { deploymentId, outcomes, ok: outcomes.every((o) => o.result === 'succeeded'), ...(blockedBy.length > 0 ? { blockedBy } : {}) }
  }

  private async runOne(command: Command, signal: AbortSignal): Promise<CommandOutcome> {
    const base = { id: command.id, description: command.describe() }
    const now = this.d.clock.now()
    const previous = this.failures.get(command.id)
    if (signal.aborted) return { ...base, result: 'skipped', error: 'the reconcile was cancelled' }
    if (previous) {
      if (previous.count >= this.options.maxAttempts) {
        return { ...base, result: 'skipped', error: `gave up after ${previous.count} attempts: ${previous.error}` }
      }
      const retryAt = previous.at + this.coolOffMs(previous.count)
      if (now < retryAt) {
        this.d.log.debug({ event: 'command.cooling-off', command: command.id, retryAt }, 'command failed before; cooling off')
        return { ...base, result: 'skipped', error: previous.error, retryAt }
      }
    }
    try {
      this.d.log.info({ event: 'command.started', command: command.id }, base.description)
      await command.execute(signal)
      this.failures.delete(command.id)
      return { ...base, result: 'succeeded' }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err)
      const count = (previous?.count ?? 0) + 1
      const at = this.d.clock.now()
      this.failures.set(command.id, { count, at, error })
      const retryAt = count >= this.options.maxAttempts ? undefined : at + this.coolOffMs(count)
      this.d.log.warn({ event: 'command.failed', command: command.id, err, attempt: count, retryAt }, `${base.description} failed`)
      return { ...base, result: 'failed', error, ...(retryAt !== undefined ? { retryAt } : {}) }
    }
  }
}
