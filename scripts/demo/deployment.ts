/**
 * deploy/crowd-analytics.json made concrete for this machine: the `${LEDGE_ROOT}` placeholders become the
 * repository's folder, the edge hub listens on loopback ports of its own (the demo needs no root, so not 8883/443),
 * and the modules are told where it is.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface EdgeHubPorts {
  host: string
  mqtt: number
  https: number
  metrics: number
}

export function crowdAnalyticsDeployment(root: string, edgeHub: EdgeHubPorts): any {
  const text = readFileSync(join(root, 'deploy', 'crowd-analytics.json'), 'utf8').replaceAll('${LEDGE_ROOT}', root)
  const manifest = JSON.parse(text)
  const agent = manifest.modulesContent.$edgeAgent['properties.desired']
  const value = (v: string | number) => ({ value: String(v) })
  agent.systemModules.edgeHub.env = {
    ...agent.systemModules.edgeHub.env,
    LEDGE_EDGEHUB_BIND: value(edgeHub.host), LEDGE_EDGEHUB_MQTT_PORT: value(edgeHub.mqtt), LEDGE_EDGEHUB_HTTPS_PORT: value(edgeHub.https),
    LEDGE_EDGEHUB_METRICS_BIND: value(edgeHub.host), LEDGE_EDGEHUB_METRICS_PORT: value(edgeHub.metrics),
  }
  for (const m of Object.values(agent.modules) as { env?: Record<string, { value: string }> }[]) {
    m.env = { ...m.env, IOTEDGE_GATEWAYHOSTNAME: value(`${edgeHub.host}:${edgeHub.mqtt}`) }
  }
  return manifest
}
