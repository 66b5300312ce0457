/**
 * Process identity and signals, Linux-first. A pid alone does not identify a process across a daemon restart (pids
 * are reused), so a module's record keeps the pid with its start time from `/proc/<pid>/stat` (field 22, clock ticks
 * since boot): the pair is unique for the life of the system.
 */
import { readFileSync } from 'node:fs'
import { constants } from 'node:os'

/** The start time of `pid` (field 22 of `/proc/<pid>/stat`), or undefined if it does not exist or there is no /proc. */
export function processStartTime(pid: number): string | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // Field 2, the command name, is in parentheses and may itself hold spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state), so field 22 is fields[19]. A zombie (state Z) has exited: it is not running.
  if (fields[0] === 'Z') return undefined
  return fields[19]
}

/** Whether `pid` is the very process that was recorded with `startTime`. */
export function isSameProcess(pid: number, startTime: string | undefined): boolean {
  return startTime !== undefined && processStartTime(pid) === startTime
}

/** Sends `signal` to the whole process group led by `pid`; false if no such group is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw err
  }
}

/** Whether any process of the group led by `pid` is left (signal 0 checks without sending anything). */
export function groupExists(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The shell convention for a process ended by a signal: 128 + the signal number (SIGTERM → 143, SIGKILL → 137). */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0)
}
