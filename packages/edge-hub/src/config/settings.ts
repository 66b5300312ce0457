/**
 * The edge hub process's settings, from its environment as the edge runtime starts it: the `IOTEDGE_*` variables
 * (azure-iotedge.md §2), Azure edgeHub's own names where they exist (`storageFolder`, `UpstreamProtocol`), and
 * `LEDGE_EDGEHUB_*` for the rest. Every problem is reported at once.
 */
import { z } from 'zod'
import { IOTEDGE_ENV } from '@ledge/protocol'

const port = z.coerce.number().int().min(0).max(65535)
const bytes = z.coerce.number().int().min(256 * 1024, 'must be at least 262144 (256 KiB)')

const schema = z.object({
  [IOTEDGE_ENV.iothubHostName]: z.string().min(1),
  [IOTEDGE_ENV.deviceId]: z.string().min(1),
  [IOTEDGE_ENV.moduleId]: z.string().min(1).default('$edgeHub'),
  [IOTEDGE_ENV.workloadUri]: z.string().min(1),
  [IOTEDGE_ENV.generationId]: z.string().min(1),
  [IOTEDGE_ENV.gatewayHostName]: z.string().optional(),
  [IOTEDGE_ENV.edgeDeviceHostName]: z.string().min(1),
  storageFolder: z.string().min(1).default('/var/lib/ledge/edge-hub'),
  UpstreamProtocol: z.enum(['Mqtt', 'MqttWs', 'Auto'], 'must be Mqtt, MqttWs or Auto (AMQP is not supported)').default('Auto'),
  LEDGE_EDGEHUB_BIND: z.string().min(1).default('0.0.0.0'),
  LEDGE_EDGEHUB_MQTT_PORT: port.default(8883),
  LEDGE_EDGEHUB_HTTPS_PORT: port.default(443),
  LEDGE_EDGEHUB_METRICS_PORT: port.default(9600),
  LEDGE_EDGEHUB_METRICS_BIND: z.string().min(1).default('0.0.0.0'),
  LEDGE_EDGEHUB_STORE_ENGINE: z.enum(['log', 'sqlite']).default('log'),
  LEDGE_EDGEHUB_STORE_MAX_BYTES: bytes.default(1024 ** 3),
  LEDGE_EDGEHUB_STORE_FULL_POLICY: z.enum(['backpressure', 'drop-oldest']).default('backpressure'),
  LEDGE_EDGEHUB_STORE_DURABILITY: z.enum(['fsync', 'os']).default('fsync'),
  LEDGE_EDGEHUB_HUB_CA_CERT: z.string().optional(),
  LEDGE_EDGEHUB_HUB_API_HOST: z.string().optional(),
  RuntimeLogLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export interface EdgeHubProcessSettings {
  iothubHostname: string
  edgeDeviceId: string
  moduleId: string
  workloadUri: string
  generationId: string
  /** `host[:port]` of the upstream MQTT endpoint when it is not the hub on 8883 (a parent edge, another port). */
  upstreamGateway: string | undefined
  edgeHostname: string
  storageFolder: string
  upstreamProtocol: 'Mqtt' | 'MqttWs' | 'Auto'
  bind: string
  mqttPort: number
  httpsPort: number
  metricsPort: number
  metricsBind: string
  store: { engine: 'log' | 'sqlite'; maxBytes: number; fullPolicy: 'backpressure' | 'drop-oldest'; durability: 'fsync' | 'os' }
  hubCaCertFile: string | undefined
  /** `host[:port]` of the hub's REST API (the device scope) when it is not the hub host name on 443. */
  hubApiHost: string | undefined
  logLevel: string
}

export function readSettings(env: Record<string, string | undefined>): EdgeHubProcessSettings {
  const r = schema.safeParse(env)
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new Error(`the edge hub's environment is not valid:\n  ${problems.join('\n  ')}`)
  }
  const e = r.data
  return {
    iothubHostname: e[IOTEDGE_ENV.iothubHostName],
    edgeDeviceId: e[IOTEDGE_ENV.deviceId],
    moduleId: e[IOTEDGE_ENV.moduleId],
    workloadUri: e[IOTEDGE_ENV.workloadUri],
    generationId: e[IOTEDGE_ENV.generationId],
    upstreamGateway: e[IOTEDGE_ENV.gatewayHostName] || undefined,
    edgeHostname: e[IOTEDGE_ENV.edgeDeviceHostName],
    storageFolder: e.storageFolder,
    upstreamProtocol: e.UpstreamProtocol,
    bind: e.LEDGE_EDGEHUB_BIND,
    mqttPort: e.LEDGE_EDGEHUB_MQTT_PORT,
    httpsPort: e.LEDGE_EDGEHUB_HTTPS_PORT,
    metricsPort: e.LEDGE_EDGEHUB_METRICS_PORT,
    metricsBind: e.LEDGE_EDGEHUB_METRICS_BIND,
    store: { engine: e.LEDGE_EDGEHUB_STORE_ENGINE, maxBytes: e.LEDGE_EDGEHUB_STORE_MAX_BYTES, fullPolicy: e.LEDGE_EDGEHUB_STORE_FULL_POLICY, durability: e.LEDGE_EDGEHUB_STORE_DURABILITY },
    hubCaCertFile: e.LEDGE_EDGEHUB_HUB_CA_CERT,
    hubApiHost: e.LEDGE_EDGEHUB_HUB_API_HOST || undefined,
    logLevel: e.RuntimeLogLevel,
  }
}
