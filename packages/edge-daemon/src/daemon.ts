/**
 * The daemon, composed: provisioning and keys → (hub or device changed? remove every module) → edge CA → workload
 * sockets → management API → watchdog. Startup order and behaviour follow aziot-edged (reference: azure-iotedge.md
 * §1). The ModuleRuntime(s) come from the caller, which owns them (main.ts: the process runtime).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '@ledge/common'
import type { ModuleRuntime } from '@ledge/module-runtime'
import type { ModuleSpec } from '@ledge/protocol'
import { EdgeCa } from './certs/edge-ca.js'
import { upstreamGatewayOf, type DaemonConfig } from './config/load.js'
import { ConfigError } from './errors.js'
import { ensureDir } from './files.js'
import { HubClient } from './identity/hub-client.js'
import { IdentityManager } from './identity/identity-manager.js'
import { KeyStore } from './keys/key-store.js'
import { ManagementServer } from './management/server.js'
import { ModuleService } from './modules/module-service.js'
import { createDpsProvisioner, type DpsProvisioner } from './provisioning/dps.js'
import { provisionManually, type DeviceIdentity } from './provisioning/manual.js'
import { RejectionHandler, watchRejections } from './provisioning/rejection-watch.js'
import { updateProvisioningState } from './provisioning/state.js'
import { Watchdog } from './watchdog.js'
import { WorkloadSockets } from './workload/sockets.js'

export interface DaemonDeps {
  log: Logger
  /** One runtime per module type (only `process` now). */
  runtimes: readonly ModuleRuntime[]
  /** For tests: the hub the identities live in (default: the hub's REST API as the device). */
  identityHub?: ConstructorParameters<typeof IdentityManager>[0]['hub']
  /**
   * DPS assigned another hub or device while the daemon ran (`Dynamic` reprovisioning): the caller restarts the
   * daemon, which then removes the old device's modules. Without it the daemon only logs.
   */
  onReprovisioned?: (device: Omit<DeviceIdentity, 'key'>) => void
  /** For tests: the DPS registration (default: the provisioning SDK). */
  dpsRegister?: Parameters<typeof createDpsProvisioner>[0]['register']
}

export interface RunningDaemon {
  config: DaemonConfig
  device: Omit<DeviceIdentity, 'key'>
  /** How the device identity was obtained this start: the config, a DPS registration, or the cached one. */
  provisionedFrom: 'manual' | 'dps' | 'cache'
  modules: ModuleService
  identities: IdentityManager
  edgeCa: EdgeCa
  watchdog: Watchdog
  /** Stops the daemon: watchdog, timers, sockets; with `stopModules` (SIGINT/SIGTERM) every module first. */
  close(o?: { stopModules?: boolean }): Promise<void>
}

/** `<home_dir>/agent`: the edge agent's own state (LEDGE_AGENT_STATE_DIR). */
export function agentStateDir(config: DaemonConfig): string {
  return join(config.ledge.homeDir, 'agent')
}

export function agentSpec(config: DaemonConfig): ModuleSpec {
  return {
    name: config.agent.name,
    type: config.agent.type,
    ...(config.agent.imagePullPolicy ? { imagePullPolicy: config.agent.imagePullPolicy } : {}),
    config: { settings: config.agent.settings, env: Object.entries(config.agent.env).map(([key, value]) => ({ key, value })) },
  }
}

async function readHubCa(config: DaemonConfig): Promise<string | undefined> {
  const f = config.ledge.hubCaCertFile
  if (!f) return undefined
  try {
    return await readFile(f, 'utf8')
  } catch (err) {
    throw new ConfigError(config.file, [`ledge.hub_ca_cert: ${f} cannot be read: ${(err as Error).message}`])
  }
}

/** Registers again; tells the caller when DPS moved the device (another hub or device id). */
async function reprovisionAfterRejection(dps: DpsProvisioner, current: DeviceIdentity, deps: DaemonDeps, log: Logger): Promise<void> {
  const next = await dps.reprovision()
  const moved = next.iothubHostname.toLowerCase() !== current.iothubHostname.toLowerCase() || next.deviceId !== current.deviceId
  if (!moved) {
    log.info({ event: 'provisioning.same', from: next.from, hub: next.iothubHostname, deviceId: next.deviceId }, 'DPS assigned the same hub and device')
    return
  }
  log.warn({ event: 'provisioning.moved', hub: next.iothubHostname, deviceId: next.deviceId, previousHub: current.iothubHostname, previousDeviceId: current.deviceId },
    deps.onReprovisioned ? 'DPS assigned another hub or device: restarting the daemon' : 'DPS assigned another hub or device: restart the daemon to use it')
  deps.onReprovisioned?.({ iothubHostname: next.iothubHostname, deviceId: next.deviceId })
}

export async function startDaemon(config: DaemonConfig, deps: DaemonDeps): Promise<RunningDaemon> {
  const log = deps.log
  const l = config.ledge
  await ensureDir(l.homeDir, 0o755)
  await ensureDir(l.modulesDir, 0o755)
  await ensureDir(l.workloadSocketDir, 0o755)
  await ensureDir(agentStateDir(config), 0o700)

  const keys = new KeyStore(l.homeDir)
  const hubCa = await readHubCa(config)
  const p = config.provisioning
  let dps: DpsProvisioner | undefined
  let device: DeviceIdentity
  let provisionedFrom: RunningDaemon['provisionedFrom'] = 'manual'
  if (p.source === 'dps') {
    dps = createDpsProvisioner({
      config, settings: p, keys, log: log.child({ component: 'dps' }),
      ...(hubCa ? { caPem: hubCa } : {}), ...(deps.dpsRegister ? { register: deps.dpsRegister } : {}),
    })
    const got = await dps.provision()
    device = got
    provisionedFrom = got.from
  } else {
    device = await provisionManually(config, p, keys)
  }
  log.info({ event: 'provisioning.done', source: provisionedFrom, hub: device.iothubHostname, deviceId: device.deviceId }, `provisioned (${provisionedFrom})`)
  // With DPS the hub is known only now: its non-standard MQTT port makes the upstream endpoint.
  const upstreamGateway = l.upstreamGateway ?? (p.source === 'dps' ? upstreamGatewayOf(undefined, device.iothubHostname, l.mqttPort) : undefined)

  const rejections = dps && p.source === 'dps' && p.reprovisioning === 'Dynamic'
    ? new RejectionHandler({ reprovision: () => reprovisionAfterRejection(dps!, device, deps, log), log: log.child({ component: 'dps' }) })
    : undefined
  const directHub = deps.identityHub ?? new HubClient({
    hostName: device.iothubHostname, port: l.hubHttpsPort, deviceId: device.deviceId, deviceKey: device.key, ...(hubCa ? { caPem: hubCa } : {}),
  })
  const hub = rejections ? watchRejections(directHub, rejections.onRejected) : directHub
  const identities = new IdentityManager({ hub, cacheFile: join(keys.dir, 'module-identities.json'), log: log.child({ component: 'identity' }) })

  const edgeCa = await EdgeCa.open({
    certsDir: join(l.homeDir, 'certs'), deviceId: device.deviceId, config: config.edgeCa, configFile: config.file,
    ...(config.trustBundleCertFile ? { trustBundleCertFile: config.trustBundleCertFile } : {}),
    log: log.child({ component: 'edge-ca' }),
  })
  const workload = new WorkloadSockets({
    dir: l.workloadSocketDir, deps: { identities, ca: edgeCa }, log: log.child({ component: 'workload' }),
    ...(l.workloadTcpPort !== undefined ? { tcpPort: l.workloadTcpPort } : {}),
  })
  const modules = new ModuleService({
    runtimes: deps.runtimes, identities, workload, agentName: config.agent.name, log: log.child({ component: 'modules' }),
    env: {
      iothubHostname: device.iothubHostname, deviceId: device.deviceId, edgeHostname: config.hostname,
      ...(config.parentHostname ? { parentHostname: config.parentHostname } : {}),
      ...(upstreamGateway ? { upstreamGateway } : {}),
      moduleGateway: l.moduleGateway, agentManagementUri: `unix://${l.agentManagementSocket}`, agentStateDir: agentStateDir(config),
      edgeHubStorageDir: join(l.homeDir, 'edgehub'),
      ...(l.hubHttpsPort !== 443 ? { hubApiHost: `${device.iothubHostname}:${l.hubHttpsPort}` } : {}),
    },
  })
  const agentRuntime = modules.runtimeFor(config.agent.type)

  const change = await updateProvisioningState(l.homeDir, device)
  if (change.changed) {
    log.warn({ event: 'provisioning.changed', previous: change.previous, hub: device.iothubHostname, deviceId: device.deviceId },
      'the hub or device changed since the last start: removing every module')
    await modules.removeAll()
    await identities.clearCache()
  } else {
    await identities.load()
  }

  const management = new ManagementServer({
    deps: { modules, identities, homeDir: l.homeDir }, publicSocket: l.managementSocket, agentSocket: l.agentManagementSocket,
    log: log.child({ component: 'management' }),
  })
  const watchdog = new Watchdog({
    modules, identities, onEvent: (f) => agentRuntime.onEvent(f), agentSpec: agentSpec(config), intervalMs: l.watchdogIntervalMs,
    log: log.child({ component: 'watchdog' }),
  })
  try {
    await workload.startTcp()
    await modules.attachExisting()
    await management.start()
  } catch (err) {
    await Promise.allSettled([management.close(), workload.close()])
    throw err
  }
  edgeCa.scheduleRenewal(async () => {
    log.info({ event: 'edge_ca.renewed' }, 'edge CA renewed: restarting every module')
    await modules.restartAll()
  })
  watchdog.start()
  log.info({ event: 'daemon.started', hostname: config.hostname, management: l.managementSocket }, 'edge daemon started')

  let closing: Promise<void> | undefined
  return {
    config, modules, identities, edgeCa, watchdog, provisionedFrom,
    device: { iothubHostname: device.iothubHostname, deviceId: device.deviceId },
    close: (o = {}) => (closing ??= (async () => {
      await watchdog.stop()
      await rejections?.close()
      edgeCa.stop()
      if (o.stopModules) await modules.stopAll()
      await management.close()
      await workload.close()
      log.info({ event: 'daemon.stopped', modulesStopped: Boolean(o.stopModules) }, 'edge daemon stopped')
    })()),
  }
}
