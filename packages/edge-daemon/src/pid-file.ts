/**
 * `<home_dir>/edged.pid`: the running daemon's process id, so that `ledge edge config apply` can send it SIGHUP and
 * a second daemon on the same home folder refuses to start.
 */
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

/** The pid of the daemon running on `homeDir`, or undefined (no file, or a stale one). */
export async function runningDaemonPid(homeDir: string): Promise<number | undefined> {
  let text: string
  try {
    text = await readFile(pidFilePath(homeDir), 'utf8')
  } catch {
    return undefined
  }
  const pid = Number(text.trim())
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined
}

export async function writePidFile(homeDir: string): Promise<void> {
  const other = await runningDaemonPid(homeDir)
  if (other !== undefined) throw new Error(`another edge daemon (pid ${other}) runs on ${homeDir}`)
  await writeFile(pidFilePath(homeDir), `${process.pid}\n`, { mode: 0o644 })
}

export async function removePidFile(homeDir: string): Promise<void> {
  const text = await readFile(pidFilePath(homeDir), 'utf8').catch(() => '')
  if (Number(text.trim()) === process.pid) await rm(pidFilePath(homeDir), { force: true })
}
