/**
 * What runs the edge daemon, from outside it: its pid (`<home_dir>/edged.pid`), whether a systemd unit supervises it
 * (its cgroup names a `.service` whose MainPID is the daemon: a daemon started by hand inside some other service is
 * not mistaken for one), and where its standard output (its log: pino JSON lines) goes.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, readlinkSync, statSync } from 'node:fs'

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The systemd unit whose main process is `pid`, or undefined (not Linux, no systemd, started by hand). */
export function systemdUnitOf(pid: number): string | undefined {
  let cgroup: string
  try {
    cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
  } catch {
    return undefined
  }
  const unit = cgroup.split('\n').map((l) => /\/([^/]+\.service)$/.exec(l.trim())?.[1]).find((u) => u !== undefined)
  if (!unit) return undefined
  const r = spawnSync('systemctl', ['show', '--property=MainPID', '--value', unit], { encoding: 'utf8', timeout: 5000 })
  return r.status === 0 && Number(r.stdout.trim()) === pid ? unit : undefined
}

export type LogDestination =
  | { kind: 'journal'; unit: string }
  | { kind: 'file'; path: string }
  | { kind: 'other'; target: string }

/**
 * Where the daemon's log goes: the journal of its unit, a file its stdout was redirected to, or something this
 * command cannot read (a terminal or a pipe: the output of whoever ran `ledge edge start`).
 */
export function logDestinationOf(pid: number, unit: string | undefined): LogDestination {
  if (unit) return { kind: 'journal', unit }
  let target: string
  try {
    target = readlinkSync(`/proc/${pid}/fd/1`)
  } catch {
    return { kind: 'other', target: 'unknown (its /proc entry cannot be read by this user)' }
  }
  try {
    if (target.startsWith('/') && !target.startsWith('/dev/') && statSync(target).isFile()) return { kind: 'file', path: target }
  } catch {
    /* deleted or unreadable */
  }
  return { kind: 'other', target }
}
