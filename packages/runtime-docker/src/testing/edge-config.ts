/** An edge device's config.toml for the Docker runtime's end-to-end tests, written as a user would write it. */
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runLedge, testCaFiles, type TestHub } from '@ledge/testkit'
import { TEST_DOCKER_URI } from './engine.js'

export interface DockerEdgeConfigOptions {
  th: TestHub
  /** The folder for `config.toml` and the daemon's home (`home/`). */
  dir: string
  deviceId: string
  key: string
  /** `ledge edge config mp --module-gateway`: modules reach the hub through the edge hub, or directly. */
  moduleGateway: 'edge_hub' | 'upstream'
  /** `--hostname`: the device's host name (a loopback address its edge hub binds, where containers reach it). */
  hostname?: string
  /** `[moby_runtime] network = "host"`: containers on the host network unless their createOptions say otherwise. */
  hostNetwork?: boolean
}

/**
 * `ledge edge config mp` for the device against the test hub, then what the tests add by hand: the test CA as the
 * modules' trust bundle, the test engine with a runtime id of this test run's own (runs sharing the engine keep to
 * their own containers), and an agent that reconciles every second. Throws with the command's output if it fails.
 */
export async function writeDockerEdgeConfig(o: DockerEdgeConfigOptions): Promise<{ config: string; home: string }> {
  const config = join(o.dir, 'config.toml')
  const home = join(o.dir, 'home')
  const mp = await runLedge(['edge', 'config', 'mp', '--connection-string', `HostName=${o.th.host};DeviceId=${o.deviceId};SharedAccessKey=${o.key}`,
    '--config', config, '--home-dir', home, '--hub-ca-cert', testCaFiles().certFile, '--mqtt-port', String(o.th.hub.mqttPort),
    ...(o.hostname ? ['--hostname', o.hostname] : []), '--module-gateway', o.moduleGateway])
  if (mp.code !== 0) throw new Error(`ledge edge config mp exited ${mp.code}:\n${mp.out}`)
  await writeFile(config, `trust_bundle_cert = "${testCaFiles().certFile}"\n${await readFile(config, 'utf8')}`)
  const network = o.hostNetwork ? 'network = "host"\n' : ''
  await appendFile(config, `\n[moby_runtime]\nuri = "${TEST_DOCKER_URI}"\n${network}runtime_id = "test-${process.pid}-${o.deviceId}"\n\n[agent.env]\nLEDGE_AGENT_RECONCILE_INTERVAL_MS = "1000"\n`)
  return { config, home }
}
