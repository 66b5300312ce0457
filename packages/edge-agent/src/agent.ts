/**
 * One reconcile (iotedge `Agent.ReconcileAsync`, STYLE.md "Reconcile loop"): read the deployment and the modules,
 * make sure the identities exist, plan, run the plan, report. A deployment that cannot be applied is reported with
 * its status code and leaves the running modules as they are. Errors become status codes in one place
 * ({@link statusOf}).
 */
import { arch, platform } from 'node:os'
import type { Logger } from '@ledge/common'
import { isAppError } from '@ledge/common'
import { DEPLOYMENT_STATUS, parseAgentDesired, type SystemInfo } from '@ledge/protocol'
import { currentModule, desiredModuleSet, runtimeInfoOf, canonicalJson } from './commands/module-spec.js'
import type { DesiredSource } from './desired/desired-source.js'
import { DeploymentConfigError } from './errors.js'
import type { IdentityManager } from './identities.js'
import type { CurrentModule, DesiredModule, RuntimeInfo } from './model.js'
import { ModuleSet } from './module-set.js'
import type { ModuleManagement } from './module-management.js'
import type { ModuleStateStore } from './module-state-store.js'
import type { Planner } from './planner/planner.js'
import type { Reporter, DeploymentStatus } from './reporter.js'
import type { RestartPolicyManager } from './restart-policy.js'
import type { CommandOutcome, PlanRunner, RunResult } from './runner/plan-runner.js'
import { DEFAULT_MODULE_UPDATE_MODE, moduleUpdateModeOf, type ModuleUpdateMode } from './update-mode.js'
import { createHash } from 'node:crypto'

export interface AgentDeps {
  desired: DesiredSource
  management: ModuleManagement
  store: ModuleStateStore
  identities: IdentityManager
  planner: Planner
  runner: PlanRunner
  reporter: Reporter
  restartPolicy: RestartPolicyManager
  /** The agent's own `ModuleUpdateMode` (its env); a manifest's `systemModules.edgeAgent.env` overrides it. */
  moduleUpdateMode?: ModuleUpdateMode
  log: Logger
}

export const OK: DeploymentStatus = { code: DEPLOYMENT_STATUS.ok, description: '' }

/** Every failure of a reconcile as Azure's `lastDesiredStatus` (the one switch). */
export function statusOf(err: unknown): DeploymentStatus {
  if (err instanceof DeploymentConfigError) {
    switch (err.code) {
      case 417:
        return { code: DEPLOYMENT_STATUS.configEmptyError, description: err.message }
      case 412:
        return { code: DEPLOYMENT_STATUS.invalidSchemaVersion, description: err.message }
      case 400:
        return { code: DEPLOYMENT_STATUS.configFormatError, description: err.message }
    }
  }
  if (isAppError(err) && err.code === 'ERR_DESIRED_UNAVAILABLE') return { code: DEPLOYMENT_STATUS.unknown, description: err.message }
  return { code: DEPLOYMENT_STATUS.failed, description: err instanceof Error ? err.message : String(err) }
}

const failureText = (o: CommandOutcome) => `${o.description}: ${o.error ?? o.result}${o.retryAt !== undefined ? ` (retry at ${new Date(o.retryAt).toISOString()})` : ''}`

/**
 * A plan run as a status: 200, or 500 naming each command that failed or waits for its retry; when a prerequisite
 * (a pull under WaitForAllPulls) failed, 500 naming those, as nothing else ran.
 */
export function statusOfRun(run: RunResult): DeploymentStatus {
  if (run.ok) return OK
  if (run.blockedBy) {
    return {
      code: DEPLOYMENT_STATUS.failed,
      description: `Failed to execute PrepareForUpdate command: ${run.blockedBy.map(failureText).join('; ')}. No module was changed (ModuleUpdateMode=WaitForAllPulls)`,
    }
  }
  const failures = run.outcomes.filter((o) => o.result !== 'succeeded').map(failureText)
  return { code: DEPLOYMENT_STATUS.failed, description: `One or more commands failed: ${failures.join('; ')}` }
}

export interface ReconcileResult {
  status: DeploymentStatus
  version: number | undefined
  commands: number
}

export class Agent {
  private lock: Promise<unknown> = Promise.resolve()
  private platform: SystemInfo | undefined

  constructor(private readonly d: AgentDeps) {}

  /** One reconcile; serialised with any other in flight. Never throws for a bad deployment or a failed command. */
  reconcileOnce(signal: AbortSignal): Promise<ReconcileResult> {
    const run = this.lock.then(() => this.reconcile(signal))
    this.lock = run.catch(() => undefined)
    return run
  }

  private async reconcile(signal: AbortSignal): Promise<ReconcileResult> {
    let version: number | undefined
    let desired: ModuleSet<DesiredModule> | undefined
    let runtime: RuntimeInfo | undefined
    let current: ModuleSet<CurrentModule> | undefined
    let status: DeploymentStatus
    let commands = 0
    const currentRead = this.readCurrent(signal).then(
      (c) => (current = c),
      (err: unknown) => err,
    )
    try {
      const doc = await this.d.desired.get(signal)
      version = doc.version
      const parsed = parseAgentDesired(doc.desired)
      if (!parsed.ok) throw new DeploymentConfigError(parsed.code, parsed.problems)
      const updateMode = moduleUpdateModeOf(parsed.value.systemModules.edgeAgent.env, this.d.moduleUpdateMode ?? DEFAULT_MODULE_UPDATE_MODE)
      if ('problem' in updateMode) throw new DeploymentConfigError(400, [updateMode.problem])
      desired = desiredModuleSet(parsed.value)
      runtime = runtimeInfoOf(parsed.value)
      const currentErr = await currentRead
      if (!current) throw currentErr
      const identities = await this.d.identities.reconcile(desired, current, signal)
      const plan = this.d.planner.plan(desired, current, runtime, identities, { moduleUpdateMode: updateMode.mode })
      commands = plan.length
      if (plan.length === 0) {
        status = OK
      } else {
        const deploymentId = version !== undefined ? String(version) : createHash('sha256').update(canonicalJson(doc.desired)).digest('hex')
        this.d.log.info({ event: 'plan.created', deploymentId, commands: plan.map((c) => c.describe()) }, `running a plan of ${plan.length} command(s)`)
        status = statusOfRun(await this.d.runner.run(deploymentId, plan, signal))
        current = await this.readCurrent(signal).catch(() => current)
      }
    } catch (err) {
      status = statusOf(err)
      const level = status.code === DEPLOYMENT_STATUS.unknown ? 'debug' : 'warn'
      this.d.log[level]({ event: 'reconcile.status', code: status.code, err }, status.description)
      await currentRead
    }
    try {
      await this.d.reporter.report({
        lastDesiredVersion: version,
        status,
        runtime,
        platform: await this.platformInfo(signal),
        desired,
        current,
        runtimeStatus: (c, m) => this.d.restartPolicy.runtimeStatus(c, m),
      })
    } catch (err) {
      this.d.log.warn({ event: 'report.failed', err }, 'cannot update the reported properties; next reconcile tries again')
    }
    return { status, version, commands }
  }

  private async readCurrent(signal: AbortSignal): Promise<ModuleSet<CurrentModule>> {
    const details = await this.d.management.list(signal)
    return new ModuleSet(details.map((m) => currentModule(m, this.d.store.get(m.name))))
  }

  private async platformInfo(signal: AbortSignal): Promise<SystemInfo> {
    if (this.platform) return this.platform
    try {
      this.platform = await this.d.management.systemInfo(signal)
      return this.platform
    } catch {
      return { osType: platform(), architecture: arch(), version: '' }
    }
  }
}
