/**
 * A real edge device for the device commands' tests: a test hub, an edge device in it, `ledge edge config mp`,
 * `ledge edge start` (the daemon with the process runtime and the real edge agent) and a deployment applied with
 * `POST /devices/{id}/applyConfigurationContent`.
 */
import type { ChildProcess } from 'node:child_process'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { createServiceSasToken, parseServiceConnectionString } from '@ledge/protocol'
import { edgeDeployment, repoRoot, spawnLedge, testCaFiles, type TestHub } from '@ledge/testkit'
import { ledge } from './helpers.js'

export const MODULES_DIR = join(repoRoot, 'packages', 'testkit', 'fixtures', 'modules')
const IDLE = ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1 << 30)"]

/** Calls the hub's REST API as iothubowner. */
export async function rest(th: TestHub, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const token = createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 3600 })
  const init: RequestInit = { method, headers: { authorization: token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) } }
  if (body !== undefined) init.body = JSON.stringify(body)
  const res = await fetch(`${th.url}${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-12`, init)
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

/** A deployment of process modules, with the `edgeHub` system module as an idle placeholder (no edge hub yet). */
export function deployment(modules: Record<string, unknown>): unknown {
  return edgeDeployment({
    edgeAgent: { type: 'process', settings: { command: process.execPath } },
    edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: process.execPath, args: IDLE } },
    modules,
  })
}

export const heartbeat = {
  type: 'process', status: 'running', restartPolicy: 'always',
  settings: { command: process.execPath, args: [join(MODULES_DIR, 'heartbeat.mjs')] },
  env: { HEARTBEAT_MS: { value: '1000' } },
}

/** One request to the management socket. */
export function mgmt(socketPath: string, path: string): Promise<{ status: number; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'GET', path: `${path}${path.includes('?') ? '&' : '?'}api-version=2022-08-03` }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, text, json })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

export async function eventually<T>(poll: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await poll().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

export interface EdgeDevice {
  config: string
  home: string
  socket: string
  daemon: ChildProcess
  exited: Promise<number | null>
  /** What the daemon printed (its pino log), for failures. */
  log: string[]
}

/** Writes the config with `ledge edge config mp` and starts `ledge edge start` on it. */
export async function startEdgeDevice(th: TestHub, deviceId: string, key: string, dir: string): Promise<EdgeDevice> {
  const config = join(dir, 'config.toml')
  const home = join(dir, 'home')
  const mp = await ledge(['edge', 'config', 'mp', '--connection-string', `HostName=${th.host};DeviceId=${deviceId};SharedAccessKey=${key}`,
    '--config', config, '--home-dir', home, '--hub-ca-cert', testCaFiles().certFile, '--mqtt-port', String(th.hub.mqttPort), '--module-gateway', 'upstream'])
  if (mp.code !== 0) throw new Error(`ledge edge config mp: ${mp.stderr}`)
  // The deployment's edgeHub is an idle placeholder here: modules reach the hub directly, so their trust bundle needs
  // the hub's CA.
  await writeFile(config, `trust_bundle_cert = "${testCaFiles().certFile}"\n${await readFile(config, 'utf8')}`)
  await appendFile(config, '\n[agent.env]\nLEDGE_AGENT_RECONCILE_INTERVAL_MS = "1000"\n')
  const log: string[] = []
  const { child: daemon, exited } = spawnLedge(['edge', 'start', '--config', config], log)
  return { config, home, socket: join(home, 'mgmt.sock'), daemon, exited, log }
}
