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
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { processStartTime } from '@ledge/runtime-process'

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
  const start = processStartTime(pid)
  // No start time for a live pid: a zombie, or a system without /proc (where only liveness can be checked).
  if (start === undefined) return processStartTime(process.pid) === undefined ? pid : undefined
  return recordedStart === undefined || recordedStart === start ? pid : undefined
}

export async function writePidFile(homeDir: string): Promise<void> {
  const other = await runningDaemonPid(homeDir)
  if (other !== undefined) throw new Error(`another edge daemon (pid ${other}) runs on ${homeDir}`)
  const start = processStartTime(process.pid)
  await writeFile(pidFilePath(homeDir), `${process.pid}${start ? ` ${start}` : ''}\n`, { mode: 0o644 })
}

export async function removePidFile(homeDir: string): Promise<void> {
  const text = await readFile(pidFilePath(homeDir), 'utf8').catch(() => '')
  if (Number(text.trim().split(/\s+/)[0]) === process.pid) await rm(pidFilePath(homeDir), { force: true })
}
