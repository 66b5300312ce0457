/**
 * Commands and the factory that makes them (iotedge `ICommand`, `ICommandFactory`). The planner only ever asks the
 * factory, so its tests use a {@link RecordingCommandFactory} (`@ledge/edge-agent/testing`) and the agent uses
 * the management API's one (`commands/management-commands.ts`).
 */
import type { CurrentModule, DesiredModule, RuntimeInfo } from '../model.js'

export interface Command {
  /** Stable for the same action on the same spec: the runner keys retries and cool-off on it. */
  readonly id: string
  describe(): string
  execute(signal: AbortSignal): Promise<void>
  /**
   * A prerequisite of the plan (Azure's `ExcecutionPrerequisiteException`): when it fails, or waits for its retry,
   * the runner runs the other prerequisites but none of the commands that are not.
   */
  readonly prerequisite?: boolean
}

/** What a plan is: commands run in order. */
export type Plan = readonly Command[]

export interface CommandFactory {
  /** Create the module (pulling its image where the runtime has images). */
  create(module: DesiredModule, runtime: RuntimeInfo): Command
  /**
   * Ready the module's new spec without touching any module (pull its image). `prerequisite`: a failure stops the
   * plan (ModuleUpdateMode=WaitForAllPulls).
   */
  prepareUpdate(module: DesiredModule, runtime: RuntimeInfo, o?: { prerequisite?: boolean }): Command
  /** Recreate the module with the new spec. */
  update(current: CurrentModule, next: DesiredModule, runtime: RuntimeInfo): Command
  start(module: { name: string }): Command
  stop(module: { name: string }): Command
  /** Stop if running, then delete; the agent forgets the module's restart stats. */
  remove(module: { name: string }): Command
  /** Restart per the restart policy: counts one restart in the module's stats. */
  restart(module: CurrentModule): Command
  /** Clear the module's restart count (it has been healthy long enough, or a deployment changed it). */
  resetRestartStats(module: { name: string }): Command
}

/** Commands run in order as one step: the first failure stops the rest (iotedge `GroupCommand`). */
export class GroupCommand implements Command {
  readonly id: string

  constructor(readonly commands: readonly Command[]) {
    this.id = commands.map((c) => c.id).join(' + ')
  }

  describe(): string {
    return this.commands.map((c) => c.describe()).join(', then ')
  }

  async execute(signal: AbortSignal): Promise<void> {
    for (const c of this.commands) {
      signal.throwIfAborted()
      await c.execute(signal)
    }
  }
}

/** One command, or a group of several. */
export function group(...commands: Command[]): Command {
  return commands.length === 1 ? commands[0]! : new GroupCommand(commands)
}
