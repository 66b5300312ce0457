/**
 * The daemon process (`ledge edge start`): config → logger → the runtimes (process; docker with `[moby_runtime]`) →
 * {@link startDaemon}, a pid file,
 * SIGHUP to re-read the config (the daemon restarts its parts; modules keep running; the watchdog recreates the agent
 * if its settings changed), and SIGINT/SIGTERM to stop every module with its grace period and close the sockets.
 */
import { join } from 'node:path'
import { createLogger, type Logger } from '@ledge/common'
import type { ModuleRuntime } from '@ledge/module-runtime'
import { loadConfigFile, type DaemonConfig } from './config/load.js'
import { startDaemon, type RunningDaemon } from './daemon.js'
import { ConfigError } from './errors.js'
import { ensureDir } from './files.js'
import { removePidFile, writePidFile } from './pid-file.js'

/** The process runtime adapter (`@ledge/runtime-process`): each module a supervised child process. */
export async function createProcessRuntime(config: DaemonConfig, log: Logger): Promise<ModuleRuntime> {
  const { ProcessModuleRuntime } = await import('@ledge/runtime-process')
  const stateDir = join(config.ledge.homeDir, 'runtime')
  await ensureDir(stateDir, 0o700)
  return ProcessModuleRuntime.open({ stateDir, modulesDir: config.ledge.modulesDir, log: log.child({ component: 'runtime-process' }) })
}

/**
 * The Docker runtime adapter (`@ledge/runtime-docker`), when the config has `[moby_runtime]` or a docker agent:
 * module images run as containers of the engine at `[moby_runtime] uri`, on its `network`. Refuses to start (with
 * ERR_RUNTIME_UNAVAILABLE) when the engine does not answer: modules of type docker could not run.
 */
export async function createDockerRuntime(config: DaemonConfig, log: Logger): Promise<ModuleRuntime> {
  const { DockerModuleRuntime } = await import('@ledge/runtime-docker')
  const stateDir = join(config.ledge.homeDir, 'runtime-docker')
  await ensureDir(stateDir, 0o700)
  return DockerModuleRuntime.open({
    uri: config.moby.uri, network: config.moby.network, runtimeId: config.moby.runtimeId, hostname: config.hostname, stateDir,
    imageGc: { minAgeMs: 7 * 24 * 3600_000, intervalMs: 24 * 3600_000 }, log: log.child({ component: 'runtime-docker' }),
  })
}

/** The runtimes the config asks for: always the process runtime, and the Docker one when `moby.enabled`. */
export async function createRuntimes(config: DaemonConfig, log: Logger): Promise<ModuleRuntime[]> {
  const process = await createProcessRuntime(config, log)
  if (!config.moby.enabled) return [process]
  try {
    return [process, await createDockerRuntime(config, log)]
  } catch (err) {
    await process.close().catch(() => undefined)
    throw err
  }
}

export interface DaemonProcessOptions {
  onStarted?: (d: RunningDaemon) => void
  /** Tests: a runtime instead of the process runtime. */
  runtime?: ModuleRuntime
  log?: Logger
}

export async function runDaemonProcess(configFile: string, o: DaemonProcessOptions = {}): Promise<void> {
  let { config, warnings } = loadConfigFile(configFile)
  const log = o.log ?? createLogger({ name: 'ledge-edge', level: config.ledge.logLevel })
  for (const w of warnings) log.warn({ event: 'config.warning', file: config.file }, w)
  const runtimes = o.runtime ? [o.runtime] : await createRuntimes(config, log)
  const closeRuntimes = () => Promise.all(runtimes.map((r) => r.close()))
  await ensureDir(config.ledge.homeDir, 0o755)
  await writePidFile(config.ledge.homeDir)
  let chain = Promise.resolve()
  // DPS moved the device (Dynamic reprovisioning): start again, as aziot-edged restarts; the start then finds the
  // new assignment in the cache and removes the old device's modules.
  const onReprovisioned = (): void => {
    chain = chain.then(async () => {
      log.info({ event: 'daemon.reprovisioned' }, 'restarting the daemon for the new device identity')
      await daemon.close({ stopModules: false })
      daemon = await startDaemon(config, { log, runtimes, onReprovisioned })
      o.onStarted?.(daemon)
    }).catch((err: unknown) => log.error({ err, event: 'daemon.restart_failed' }, 'restarting after reprovisioning failed'))
  }
  let daemon: RunningDaemon
  try {
    daemon = await startDaemon(config, { log, runtimes, onReprovisioned })
  } catch (err) {
    await closeRuntimes().catch(() => undefined)
    await removePidFile(config.ledge.homeDir)
    throw err
  }
  o.onStarted?.(daemon)

  const reload = async (): Promise<void> => {
    let next: DaemonConfig
    try {
      ;({ config: next, warnings } = loadConfigFile(configFile))
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message]
      log.error({ event: 'config.reload_invalid', problems }, 'the config file is invalid; keeping the running configuration')
      return
    }
    if (next.ledge.homeDir !== config.ledge.homeDir) {
      log.error({ event: 'config.reload_refused' }, 'ledge.home_dir cannot change while the daemon runs: restart it')
      return
    }
    for (const w of warnings) log.warn({ event: 'config.warning', file: next.file }, w)
    log.info({ event: 'config.reload' }, 'configuration changed: restarting the daemon (modules keep running)')
    await daemon.close({ stopModules: false })
    config = next
    daemon = await startDaemon(config, { log, runtimes, onReprovisioned })
    o.onStarted?.(daemon)
  }
  const onHup = (): void => {
    chain = chain.then(reload).catch((err: unknown) => log.error({ err, event: 'config.reload_failed' }, 'reloading the configuration failed'))
  }
  process.on('SIGHUP', onHup)

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ event: 'daemon.signal', signal }, `received ${signal}: stopping modules and the daemon`)
      void chain
        .then(() => daemon.close({ stopModules: true }))
        .then(closeRuntimes)
        .catch((err: unknown) => log.error({ err, event: 'daemon.stop_failed' }, 'the daemon did not stop cleanly'))
        .finally(() => removePidFile(config.ledge.homeDir).finally(resolve))
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  process.off('SIGHUP', onHup)
}
