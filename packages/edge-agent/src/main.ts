#!/usr/bin/env -S node --import tsx
/**
 * The edge agent process: the daemon starts it with the `IOTEDGE_*` environment (reference §1). Composition root:
 * the only place that picks adapters.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createLogger, packageVersion, systemClock, type Logger } from '@ledge/common'
import { Agent } from './agent.js'
import { ManagementCommandFactory } from './commands/management-commands.js'
import { loadConfig, type AgentConfig } from './config.js'
import { BackupDesiredSource } from './desired/backup-desired-source.js'
import { TwinDesiredSource, moduleClientFromEnvironment, type ModuleClient } from './desired/twin-desired-source.js'
import { IdentityManager } from './identities.js'
import { reconcileLoop } from './loop.js'
import { ManagementClient } from './management-client.js'
import { registerMethods } from './methods.js'
import { ModuleStateStore } from './module-state-store.js'
import { HealthRestartPlanner } from './planner/planner.js'
import { TwinReporter, type VersionInfo } from './reporter.js'
import { RestartPolicyManager } from './restart-policy.js'
import { OrderedRetryPlanRunner } from './runner/plan-runner.js'
import { Wakeup } from './wakeup.js'

export function versionInfo(): VersionInfo {
  return { version: packageVersion('@ledge/edge-agent'), build: process.env.LEDGE_BUILD ?? '', commit: process.env.LEDGE_COMMIT ?? '' }
}

export interface RunningAgent {
  agent: Agent
  twin: TwinDesiredSource
  /** Resolves when the loop has ended. */
  done: Promise<void>
  stop(): Promise<void>
}

/** Builds the agent from `config` and runs its loop until `stop()`. */
export async function startAgent(config: AgentConfig, log: Logger, o: { connect?: () => Promise<ModuleClient>; clientOptions?: Record<string, unknown> } = {}): Promise<RunningAgent> {
  const clock = systemClock
  const management = new ManagementClient(config.managementUri)
  const store = await ModuleStateStore.open(join(config.stateDir, 'module-state.json'))
  const twin = new TwinDesiredSource({
    connect: o.connect ?? moduleClientFromEnvironment,
    log: log.child({ component: 'twin' }),
    refreshMs: config.configRefreshMs,
    ...(o.clientOptions ? { clientOptions: o.clientOptions } : {}),
  })
  const desired = new BackupDesiredSource({ inner: twin, file: join(config.stateDir, 'backup.json'), log: log.child({ component: 'backup' }) })
  const restartPolicy = new RestartPolicyManager(clock)
  const agent = new Agent({
    desired,
    management,
    store,
    identities: new IdentityManager({ management, log: log.child({ component: 'identities' }) }),
    planner: new HealthRestartPlanner({ factory: new ManagementCommandFactory({ management, store, clock }), restartPolicy }),
    runner: new OrderedRetryPlanRunner({ clock, log: log.child({ component: 'runner' }) }),
    reporter: new TwinReporter({ sink: twin, version: versionInfo(), log: log.child({ component: 'reporter' }) }),
    restartPolicy,
    ...(config.moduleUpdateMode ? { moduleUpdateMode: config.moduleUpdateMode } : {}),
    log: log.child({ component: 'agent' }),
  })
  const wakeup = new Wakeup()
  desired.onChange(() => wakeup.notify())
  registerMethods(twin, { management, log: log.child({ component: 'methods' }), onRestarted: () => wakeup.notify() })
  void twin.start()

  const controller = new AbortController()
  const done = reconcileLoop({ agent, wakeup, intervalMs: config.reconcileIntervalMs, timeoutMs: config.reconcileTimeoutMs, signal: controller.signal, log })
  log.info({ event: 'agent.started', managementUri: config.managementUri, stateDir: config.stateDir }, 'edge agent started')
  return {
    agent,
    twin,
    done,
    async stop() {
      controller.abort()
      await done
      await twin.close()
      log.info({ event: 'agent.stopped' }, 'edge agent stopped')
    },
  }
}

async function main(): Promise<void> {
  let config: AgentConfig
  try {
    config = loadConfig()
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exit(2)
  }
  const log = createLogger({ name: 'edge-agent', level: config.logLevel })
  const running = await startAgent(config, log)
  const stop = (sig: string) => {
    log.info({ event: 'agent.signal', signal: sig }, `${sig}: stopping`)
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ event: 'agent.stop-failed', err }, 'stop failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main()
