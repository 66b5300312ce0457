/**
 * Writing a config file for manual provisioning (`ledge edge config mp`, as `iotedge config mp`): the connection
 * string, the host name, and the Ledge settings given, with the other tables as commented examples.
 */
import { mkdir, writeFile, chmod, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { hostname as osHostname } from 'node:os'
import { stringify } from 'smol-toml'
import { parseConfig } from './load.js'

export interface ManualProvisioningOptions {
  connectionString: string
  hostname?: string
  homeDir?: string
  hubCaCert?: string
  mqttPort?: number
  /** The hub's REST port when it is not 443. */
  hubHttpsPort?: number
  /** Where custom modules send MQTT: "edge_hub" (the edge hub in the deployment) or "upstream". */
  moduleGateway?: 'upstream' | 'edge_hub'
}

const q = (s: string): string => stringify({ v: s }).slice(4).trim()

/** The text of the file; validated before it is returned (a {@link ConfigError} names what is wrong). */
export function renderManualProvisioningConfig(o: ManualProvisioningOptions, file = 'config.toml'): string {
  const ledge: string[] = []
  if (o.homeDir !== undefined) ledge.push(`home_dir = ${q(o.homeDir)}`)
  if (o.hubCaCert !== undefined) ledge.push(`hub_ca_cert = ${q(o.hubCaCert)}`)
  if (o.mqttPort !== undefined) ledge.push(`mqtt_port = ${o.mqttPort}`)
  if (o.hubHttpsPort !== undefined) ledge.push(`hub_https_port = ${o.hubHttpsPort}`)
  if (o.moduleGateway !== undefined) ledge.push(`module_gateway = ${q(o.moduleGateway)}`)
  const text = `# Ledge edge daemon configuration (the shape of Azure IoT Edge's /etc/aziot/config.toml).
# Apply changes with: ledge edge config apply --config <this file>

hostname = ${q(o.hostname ?? osHostname().toLowerCase())}
# parent_hostname = "parent-edge.example"
# trust_bundle_cert = "file:///etc/ledge/trust-bundle.pem"

[provisioning]
source = "manual"
connection_string = ${q(o.connectionString)}

# [agent]
# name = "edgeAgent"
# type = "process"
# [agent.config]            # default: the Ledge edge agent (node packages/edge-agent/…)
# command = "/usr/bin/node"
# args = ["/opt/ledge/packages/edge-agent/bin/edge-agent.js"]
# [agent.env]
# RuntimeLogLevel = "info"

# [edge_ca]                 # default: generated, renewed at 80% of its lifetime
# cert = "file:///etc/ledge/edge-ca.pem"
# pk = "file:///etc/ledge/edge-ca.key.pem"
# auto_generated_edge_ca_expiry_days = 90

[ledge]
${ledge.length ? ledge.join('\n') : '# home_dir = "/var/lib/ledge/edge"'}
# hub_ca_cert = "file:///etc/ledge/hub-ca.pem"   # the hub's CA when it is not in the system store
# mqtt_port = 8883                              # the hub's MQTT port when it is not 8883
`
  parseConfig(text, file)
  return text
}

/** Writes the file with mode 0600 (it holds the device key); refuses to replace one unless `force`. */
export async function writeManualProvisioningConfig(file: string, o: ManualProvisioningOptions, force = false): Promise<void> {
  const text = renderManualProvisioningConfig(o, file)
  if (!force && (await exists(file))) throw new Error(`${file} exists: give --force to replace it`)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, text, { mode: 0o600 })
  await chmod(file, 0o600)
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}
