/**
 * The pure planner (iotedge `HealthRestartPlanner`): from the desired and current module sets, the commands that
 * bring one to the other, startup-order group by group. No I/O: time comes from the restart policy's clock, and
 * every command from the {@link CommandFactory}.
 */
import type { Identity } from '@ledge/protocol'
import type { CurrentModule, DesiredModule, RuntimeInfo } from '../model.js'
import { EDGE_AGENT, identityName } from '../model.js'
import { diff, startupOrderOf, type ModuleSet } from '../module-set.js'
import type { RestartPolicyManager } from '../restart-policy.js'
import { DEFAULT_MODULE_UPDATE_MODE, type ModuleUpdateMode } from '../update-mode.js'
import { group, type Command, type CommandFactory, type Plan } from './command.js'

export interface PlanOptions {
  /**
   * `NonBlocking` (default): an update pulls the module's image just before it recreates it, so a failed pull keeps
   * that module as it is. `WaitForAllPulls`: the plan starts with a pull of every new image (modules created and
   * updated, in startup order), each a prerequisite: if one fails no other command runs.
   */
  moduleUpdateMode?: ModuleUpdateMode
}

export interface Planner {
  /**
   * `identities`, when given, are the module identities by module name: a module without one is neither created
   * nor updated (Azure skips it too, and the next reconcile tries again).
   */
  plan(desired: ModuleSet<DesiredModule>, current: ModuleSet<CurrentModule>, runtime: RuntimeInfo, identities?: ReadonlyMap<string, Identity>, options?: PlanOptions): Plan
}

/** Modules whose create pulls something: container images. */
const hasImage = (m: DesiredModule) => m.type === 'docker'

export class HealthRestartPlanner implements Planner {
  constructor(private readonly d: { factory: CommandFactory; restartPolicy: RestartPolicyManager }) {}

  plan(desiredAll: ModuleSet<DesiredModule>, currentAll: ModuleSet<CurrentModule>, runtime: RuntimeInfo, identities?: ReadonlyMap<string, Identity>, options: PlanOptions = {}): Plan {
    // The agent does not manage itself: the daemon runs it.
    const desired = desiredAll.without(EDGE_AGENT)
    const current = currentAll.without(EDGE_AGENT)
    const f = this.d.factory
    const policy = this.d.restartPolicy
    const hasIdentity = (name: string) => !identities || identities.has(name) || identities.has(identityName(name))
    const d = diff(desired, current)
    const touched = new Set([...d.added.map((m) => m.name), ...d.updated.map((p) => p.desired.name), ...d.statusChanged.map((p) => p.desired.name), ...d.removed.map((m) => m.name)])

    const orders = [...new Set([...desired.names(), ...current.names()].map((n) => startupOrderOf(n, desired)))].sort((a, b) => a - b)
    const waitForAllPulls = (options.moduleUpdateMode ?? DEFAULT_MODULE_UPDATE_MODE) === 'WaitForAllPulls'
    const pulls: Command[] = []
    const commands: Command[] = []
    for (const order of orders) {
      const inGroup = (name: string) => startupOrderOf(name, desired) === order
      const removed = d.removed.filter((m) => inGroup(m.name))
      commands.push(...removed.map((m) => f.stop(m)), ...removed.map((m) => f.remove(m)))

      for (const m of d.added.filter((m) => inGroup(m.name) && hasIdentity(m.name))) {
        if (waitForAllPulls && hasImage(m)) pulls.push(f.prepareUpdate(m, runtime, { prerequisite: true }))
        commands.push(group(f.create(m, runtime), ...(m.status === 'running' ? [f.start(m)] : [])))
      }
      for (const { current: c, desired: m } of d.updated.filter((p) => inGroup(p.desired.name) && hasIdentity(p.desired.name))) {
        if (waitForAllPulls && hasImage(m)) pulls.push(f.prepareUpdate(m, runtime, { prerequisite: true }))
        // NonBlocking: the pull comes first in the module's own group, so a failed pull leaves this module running.
        const prepare = !waitForAllPulls && hasImage(m) ? [f.prepareUpdate(m, runtime)] : []
        commands.push(group(...prepare, f.update(c, m, runtime), ...(m.status === 'running' ? [f.start(m)] : []), f.resetRestartStats(m)))
      }

      // Modules the deployment left alone: the runtime state decides (dead, crashed, healthy long enough).
      for (const c of [...current].filter((m) => inGroup(m.name) && !touched.has(m.name)).sort((a, b) => a.name.localeCompare(b.name))) {
        const m = desired.get(c.name)!
        if (c.status === 'dead') commands.push(f.remove(c))
        else if (policy.shouldRestartNow(c, m)) commands.push(f.restart(c))
        else if (m.status === 'running' && policy.shouldResetStats(c)) commands.push(f.resetRestartStats(c))
      }

      for (const { desired: m } of d.statusChanged.filter((p) => inGroup(p.desired.name))) {
        commands.push(m.status === 'running' ? group(f.start(m), f.resetRestartStats(m)) : f.stop(m))
      }
    }
    return [...pulls, ...commands]
  }
}
