/** Helpers for the daemon's integration tests. */
import { mkdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { rest, testCaFiles, type TestHub } from '@ledge/testkit'
import { parseConfig, type DaemonConfig } from '../src/config/load.js'

export { rest } from '@ledge/testkit'

/** Creates an edge device and returns its primary key. */
export async function createEdgeDevice(th: TestHub, deviceId: string): Promise<string> {
  const r = await rest(th, 'PUT', `/devices/${encodeURIComponent(deviceId)}`, { deviceId, capabilities: { iotEdge: true } })
  if (r.status !== 200) throw new Error(`creating ${deviceId}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.authentication.symmetricKey.primaryKey as string
}

/**
 * Writes `<home>/config.toml` for a daemon of the test hub and parses it. `body` holds the top-level keys and the
 * `[provisioning]` and `[agent…]` tables; the `[ledge]` table comes from here: `home`, the test CA, the hub's MQTT
 * port, the watchdog's interval, no logs.
 */
export async function writeDaemonConfig(th: TestHub, home: string, body: string, watchdogSecs = 1): Promise<DaemonConfig> {
  const text = `${body}
[ledge]
home_dir = "${home}"
hub_ca_cert = "${testCaFiles().certFile}"
mqtt_port = ${th.hub.mqttPort}
watchdog_interval_secs = ${watchdogSecs}
log_level = "silent"
`
  const file = join(home, 'config.toml')
  await mkdir(home, { recursive: true })
  await writeFile(file, text)
  return parseConfig(text, file).config
}

/** `[provisioning]` from DPS with a symmetric key, in aziot's shape; `key` is the TOML value (`{ value = … }` or `{ uri = … }`). */
export function dpsProvisioning(o: { endpoint: string; idScope: string; registrationId: string; key: string }): string {
  return `[provisioning]
source = "dps"
global_endpoint = "https://${o.endpoint}"
id_scope = "${o.idScope}"
[provisioning.attestation]
method = "symmetric_key"
registration_id = "${o.registrationId}"
symmetric_key = ${o.key}`
}

export interface SocketReply {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: any
}

/** One HTTP request over a Unix socket. */
export function unixRequest(socketPath: string, method: string, path: string, body?: unknown): Promise<SocketReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
    const req = request({ socketPath, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = text ? JSON.parse(text) : undefined
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
    })
    req.on('error', reject)
    req.end(data)
  })
}

export { eventually } from '@ledge/testkit'
