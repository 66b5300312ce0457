/**
 * One simulated edge device of the fleet test, as real as 50 of them can be on a small machine: the daemon library
 * (`startDaemon`) with its own home folder, DPS provisioning through the unmodified SDK and the real process runtime;
 * and the edge agent library (`startAgent`) in this process, talking to the daemon through its agent management
 * socket and to the hub with the unmodified `ModuleClient`, which signs its tokens through the daemon's workload
 * socket (`IotEdgeAuthenticationProvider`, what `ModuleClient.fromEnvironment` builds).
 *
 * What is not real: the daemon's watchdog runs `sleep` as the `edgeAgent` process (the agent itself runs in-process:
 * 50 Node agents would not fit), and modules are cheap commands (`sleep 3600`).
 */
import { createRequire } from 'node:module'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLogger, silentLogger } from '@ledge/common'
import { startAgent, type ModuleClient, type RunningAgent } from '@ledge/edge-agent'
import type { ModuleRuntime } from '@ledge/module-runtime'
import type { TestHub } from '@ledge/testkit'
import { startDaemon, type RunningDaemon } from '../src/daemon.js'
import { createProcessRuntime } from '../src/main.js'
import { dpsProvisioning, eventually, writeDaemonConfig } from './helpers.js'

const require = createRequire(import.meta.url)
const { ModuleClient: SdkModuleClient, IotEdgeAuthenticationProvider } = require('azure-iot-device') as typeof import('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')

export interface FleetDevice {
  registrationId: string
  home: string
  daemon: RunningDaemon
  agent: RunningAgent
  /** Names of the modules the device's runtime has (the agent's own stand-in excluded), sorted. */
  modules(): Promise<string[]>
  close(): Promise<void>
}

export interface FleetDeviceOptions {
  th: TestHub
  home: string
  idScope: string
  registrationId: string
  key: string
  /** Files put in the device's modules folder before it starts (relative module commands). */
  moduleFiles?: Record<string, string>
}

export async function startFleetDevice(o: FleetDeviceOptions): Promise<FleetDevice> {
  const { th, home } = o
  const provisioning = dpsProvisioning({ endpoint: th.host, idScope: o.idScope, registrationId: o.registrationId, key: `{ value = "${o.key}" }` })
  const config = await writeDaemonConfig(th, home, `
hostname = "${o.registrationId}"
${provisioning}
[agent.config]
command = "sleep"
args = ["3600"]`, 10)
  await mkdir(config.ledge.modulesDir, { recursive: true })
  for (const [name, body] of Object.entries(o.moduleFiles ?? {})) await writeFile(join(config.ledge.modulesDir, name), body, { mode: 0o755 })

  const log = process.env.LEDGE_TEST_LOG ? createLogger({ name: o.registrationId, level: process.env.LEDGE_TEST_LOG }) : silentLogger()
  const runtime: ModuleRuntime = await createProcessRuntime(config, log)
  let daemon: RunningDaemon
  try {
    daemon = await startDaemon(config, { log, runtimes: [runtime] })
  } catch (err) {
    await runtime.close()
    throw err
  }
  const deviceId = daemon.device.deviceId
  // The watchdog has created the (stand-in) agent module: its env is what ModuleClient.fromEnvironment would read.
  const env = await eventually(async () => {
    const m = await daemon.modules.get(config.agent.name)
    return m?.status === 'running' ? m.config.env : undefined
  }, 60_000, `the edgeAgent module of ${deviceId}`)
  const connect = async (): Promise<ModuleClient> => {
    const auth = new IotEdgeAuthenticationProvider({
      workloadUri: env.IOTEDGE_WORKLOADURI!, deviceId: env.IOTEDGE_DEVICEID!, moduleId: env.IOTEDGE_MODULEID!, iothubHostName: env.IOTEDGE_IOTHUBHOSTNAME!,
      authScheme: env.IOTEDGE_AUTHSCHEME!, generationId: env.IOTEDGE_MODULEGENERATIONID!,
      ...(env.IOTEDGE_GATEWAYHOSTNAME ? { gatewayHostName: env.IOTEDGE_GATEWAYHOSTNAME } : {}),
    })
    return SdkModuleClient.fromAuthenticationProvider(auth, Mqtt) as unknown as ModuleClient
  }
  const agent = await startAgent({
    managementUri: env.IOTEDGE_MANAGEMENTURI!, deviceId, stateDir: join(home, 'agent'),
    reconcileIntervalMs: 5_000, reconcileTimeoutMs: 120_000, configRefreshMs: 3_600_000, logLevel: 'silent',
  }, log, { connect, clientOptions: { ca: th.caPem } })

  return {
    registrationId: o.registrationId, home, daemon, agent,
    modules: async () => (await daemon.modules.list()).map((m) => m.name).filter((n) => n !== config.agent.name).sort(),
    close: async () => {
      await agent.stop()
      await daemon.close({ stopModules: true })
      await runtime.close()
    },
  }
}
