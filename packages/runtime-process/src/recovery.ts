/**
 * What a runtime opening on an existing stateDir does with records that say `running`: the previous runtime did not
 * close (crash, SIGKILL, power cut), or `close()` would have stopped them.
 *
 * Such a module is not adopted. Its stdout and stderr were pipes to the dead daemon, so its output is lost and its
 * next write fails (EPIPE, or SIGPIPE kills it), and its exit code cannot be collected by a process that is not its
 * parent. So: if the recorded pid still is that process (same start time in /proc), its group is stopped like a
 * `stop` (SIGTERM, SIGKILL after the module's grace); either way the module is reported `failed` with a description
 * and no exit code, and the edge agent restarts it per its restart policy. A pid that now belongs to another process
 * is left alone.
 */
import type { Clock, Logger } from '@ledge/common'
import type { ModuleRecord } from './module-store.js'
import { isSameProcess, signalGroup } from './proc.js'
import { graceMsOf } from './settings.js'

const POLL_MS = 50
const AFTER_KILL_MS = 5000

export async function recoverInterruptedRun(record: ModuleRecord, clock: Clock, log: Logger): Promise<void> {
  const { pid, pidStartTime } = record
  const ours = pid !== undefined && isSameProcess(pid, pidStartTime)
  if (ours) {
    log.warn({ event: 'module.orphan_stopping', moduleId: record.config.name, pid }, 'stopping a module left running by a previous runtime')
    signalGroup(pid, 'SIGTERM')
    if (!(await gone(pid, pidStartTime, graceMsOf(record.config), clock))) {
      signalGroup(pid, 'SIGKILL')
      await gone(pid, pidStartTime, AFTER_KILL_MS, clock)
    }
    // Whatever the module left in its group goes with it, as after any exit.
    signalGroup(pid, 'SIGKILL')
  }
  record.status = 'failed'
  record.exitedAt = new Date(clock.now()).toISOString()
  record.description = ours
    ? `the runtime restarted while the module ran (pid ${pid}); it was stopped, its exit code is unknown`
    : `the module's process ended while the runtime was down; its exit code is unknown`
  delete record.exitCode
  delete record.pid
  delete record.pidStartTime
}

async function gone(pid: number, startTime: string | undefined, ms: number, clock: Clock): Promise<boolean> {
  const deadline = clock.now() + ms
  while (isSameProcess(pid, startTime)) {
    if (clock.now() >= deadline) return false
    await new Promise<void>((resolve) => clock.setTimeout(resolve, POLL_MS))
  }
  return true
}
