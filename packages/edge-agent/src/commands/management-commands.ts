/**
 * The commands, run against the daemon's management API ({@link ModuleManagement}). They also keep the agent's
 * per-module record: the status last applied, and the restart stats.
 */
import type { Clock } from '@ledge/common'
import type { CurrentModule, DesiredModule, RuntimeInfo } from '../model.js'
import type { ModuleManagement } from '../module-management.js'
import type { ModuleStateStore } from '../module-state-store.js'
import type { Command, CommandFactory } from '../planner/command.js'
import { toModuleSpec } from './module-spec.js'

class ManagementCommand implements Command {
  constructor(
    readonly id: string,
    private readonly description: string,
    private readonly run: (signal: AbortSignal) => Promise<void>,
    readonly prerequisite = false,
  ) {}

  describe(): string {
    return this.description
  }

  execute(signal: AbortSignal): Promise<void> {
    return this.run(signal)
  }
}

const short = (hash: string) => hash.slice(0, 12)

export class ManagementCommandFactory implements CommandFactory {
  constructor(private readonly d: { management: ModuleManagement; store: ModuleStateStore; clock: Clock }) {}

  private applied(name: string, status: 'running' | 'stopped'): Promise<void> {
    return this.d.store.update(name, (r) => ({ ...r, appliedStatus: status }))
  }

  create(m: DesiredModule, runtime: RuntimeInfo): Command {
    return new ManagementCommand(`create ${m.name}@${short(m.hash)}`, `create module ${m.name}`, async (signal) => {
      await this.d.management.create(toModuleSpec(m, runtime), signal)
      await this.applied(m.name, 'stopped')
    })
  }

  prepareUpdate(m: DesiredModule, runtime: RuntimeInfo, o: { prerequisite?: boolean } = {}): Command {
    return new ManagementCommand(`prepare ${m.name}@${short(m.hash)}`, `prepare module ${m.name} (pull its image)`, async (signal) => {
      await this.d.management.prepareUpdate(toModuleSpec(m, runtime), signal)
    }, o.prerequisite ?? false)
  }

  update(current: CurrentModule, next: DesiredModule, runtime: RuntimeInfo): Command {
    return new ManagementCommand(`update ${next.name}@${short(current.hash)}->${short(next.hash)}`, `update module ${next.name}`, async (signal) => {
      await this.d.management.update(toModuleSpec(next, runtime), signal)
      await this.applied(next.name, 'stopped')
    })
  }

  start(m: { name: string }): Command {
    return new ManagementCommand(`start ${m.name}`, `start module ${m.name}`, async (signal) => {
      await this.d.management.start(m.name, signal)
      await this.applied(m.name, 'running')
    })
  }

  stop(m: { name: string }): Command {
    return new ManagementCommand(`stop ${m.name}`, `stop module ${m.name}`, async (signal) => {
      await this.d.management.stop(m.name, signal)
      await this.applied(m.name, 'stopped')
    })
  }

  remove(m: { name: string }): Command {
    return new ManagementCommand(`remove ${m.name}`, `remove module ${m.name}`, async (signal) => {
      await this.d.management.remove(m.name, signal)
      await this.d.store.delete(m.name)
    })
  }

  restart(m: CurrentModule): Command {
    return new ManagementCommand(`restart ${m.name}`, `restart module ${m.name} (restart ${m.restartCount + 1})`, async (signal) => {
      // Counted before the call: a restart that fails still backs off further (Azure records it in the same step).
      await this.d.store.update(m.name, (r) => ({ ...r, restartCount: m.restartCount + 1, lastRestartTimeUtc: new Date(this.d.clock.now()).toISOString() }))
      await this.d.management.restart(m.name, signal)
    })
  }

  resetRestartStats(m: { name: string }): Command {
    return new ManagementCommand(`reset-restart-stats ${m.name}`, `reset the restart count of ${m.name}`, async () => {
      await this.d.store.update(m.name, (r) => ({ ...(r.appliedStatus ? { appliedStatus: r.appliedStatus } : {}), restartCount: 0 }))
    })
  }
}
