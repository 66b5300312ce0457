/**
 * `ledge edge config apply`: validate the file, then tell the daemon running on its home folder to re-read it by
 * sending SIGHUP to the pid in `<home_dir>/edged.pid`. The daemon validates again; if the file is invalid it logs
 * every problem and keeps its current configuration.
 */
import { loadConfigFile, type DaemonConfig } from './config/load.js'
import { runningDaemonPid } from './pid-file.js'

export type ApplyResult =
  | { status: 'signalled'; pid: number; config: DaemonConfig; warnings: string[] }
  | { status: 'not-running'; config: DaemonConfig; warnings: string[] }

/** Throws ConfigError (every problem) when the file is invalid. */
export async function applyConfig(file: string): Promise<ApplyResult> {
  const { config, warnings } = loadConfigFile(file)
  const pid = await runningDaemonPid(config.ledge.homeDir)
  if (pid === undefined) return { status: 'not-running', config, warnings }
  process.kill(pid, 'SIGHUP')
  return { status: 'signalled', pid, config, warnings }
}
