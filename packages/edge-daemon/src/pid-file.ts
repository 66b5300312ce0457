/**
 * `<home_dir>/edged.pid`: the running daemon's process id, so that `ledge edge config apply` can send it SIGHUP,
 * `ledge system restart` SIGTERM, and a second daemon on the same home folder refuses to start.
 *
 * A daemon killed with the machine's other processes leaves the file behind, and its number may belong to another
 * process by the next start (or to the daemon's own zombie, not reaped yet). Signalling that process would hit a
 * stranger, and refusing to start would keep the device down. So the file also holds the process's start time as
 * the kernel counts it (`/proc/PID/stat`, field 22): a pid counts as the daemon only while a live, non-zombie process
 * with that number started at that time. Where there is no /proc, or for a file written before the start time was
 * kept, a live pid is all that can be checked.
 */
import { readFileSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const PID_FILE = 'edged.pid'

export function pidFilePath(homeDir: string): string {
  return join(homeDir, PID_FILE)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** What /proc says of a process: its state letter and start time; undefined without /proc or such a process. */
export function procIdentity(pid: number): { state: string; startTime: string } | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces and ')': the fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const state = fields[0]
  const startTime = fields[19]
  return state && startTime ? { state, startTime } : undefined
}

/** The pid of the daemon running on `homeDir`, or undefined (no file, or a stale one). */
export async function runningDaemonPid(homeDir: string): Promise<number | undefined> {
  let text: string
  try {
    text = await readFile(pidFilePath(homeDir), 'utf8')
  } catch {
    return undefined
  }
  const [pidText, recordedStart] = text.trim().split(/\s+/)
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid)) return undefined
  const proc = procIdentity(pid)
  if (proc === undefined) return existsProc() ? undefined : pid
  if (proc.state === 'Z' || proc.state === 'X') return undefined
  return recordedStart === undefined || recordedStart === proc.startTime ? pid : undefined
}

/** Whether this system has a /proc to read processes from (Linux); without it only liveness can be checked. */
function existsProc(): boolean {
  return procIdentity(process.pid) !== undefined
}

export async function writePidFile(homeDir: string): Promise<void> {
  const other = await runningDaemonPid(homeDir)
  if (other !== undefined) throw new Error(`another edge daemon (pid ${other}) runs on ${homeDir}`)
  const start = procIdentity(process.pid)?.startTime
  await writeFile(pidFilePath(homeDir), `${process.pid}${start ? ` ${start}` : ''}\n`, { mode: 0o644 })
}

export async function removePidFile(homeDir: string): Promise<void> {
  const text = await readFile(pidFilePath(homeDir), 'utf8').catch(() => '')
  if (Number(text.trim().split(/\s+/)[0]) === process.pid) await rm(pidFilePath(homeDir), { force: true })
}
