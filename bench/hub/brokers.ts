/**
 * The two brokers under test, each a child process of the bench: the Ledge hub (`ledge hub start`, as a user runs
 * it) and, as the peer baseline, a private Mosquitto on a free loopback port with the hub's own server certificate.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs'
import { connect as tcpConnect } from 'node:net'
import { request, Agent } from 'node:https'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServiceSasToken, parseServiceConnectionString } from '@ledge/protocol'
import { freePort } from '../../scripts/demo/free-port.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const MOSQUITTO = '/usr/sbin/mosquitto'
const API_VERSION = '2021-04-12'

export interface BrokerProcess {
  name: string
  pid: number
  host: string
  port: number
  logFile: string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>
}

export interface LedgeHubProcess extends BrokerProcess {
  httpsPort: number
  hubName: string
  caPem: string
  caFile: string
  serverCertFile: string
  serverKeyFile: string
  /** A fresh service SAS token (iothubowner). */
  serviceToken(): string
}

function stopper(child: ChildProcess): (graceMs?: number) => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  return async (graceMs = 20_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(killer)
  }
}

async function waitFor<T>(what: string, timeoutMs: number, child: ChildProcess, logFile: string, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready; see ${logFile}:\n${tail(logFile)}`)
    }
    const v = await probe()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms; see ${logFile}`)
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n')
  } catch {
    return ''
  }
}

/** Starts `ledge hub start` on 127.0.0.1 with free ports; the hub makes its own CA in `dataDir`. */
export async function startLedgeHub(opts: { dataDir: string; logLevel: string; cpuProfDir?: string; root?: string; store?: { url: string; schema: string } }): Promise<LedgeHubProcess> {
  const root = opts.root ?? REPO_ROOT
  const logFile = join(opts.dataDir, 'hub.log')
  const fd = openSync(logFile, 'a')
  const args = [
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    join(root, 'packages/cli/bin/ledge.js'), 'hub', 'start', '--data-dir', opts.dataDir, '--hostname', '127.0.0.1',
    '--bind', '127.0.0.1', '--https-port', '0', '--mqtt-port', '0', '--log-level', opts.logLevel,
    ...(opts.store ? ['--store', opts.store.url, '--store-schema', opts.store.schema] : []),
  ]
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', fd, fd], env: { ...process.env, NODE_OPTIONS: '' } })
  closeSync(fd)
  const stop = stopper(child)
  try {
    const infoFile = join(opts.dataDir, 'hub.json')
    const info = await waitFor('the hub', 60_000, child, logFile, async () => {
      if (!existsSync(infoFile)) return undefined
      try {
        return JSON.parse(readFileSync(infoFile, 'utf8')) as { httpsPort: number; mqttPort: number; caFile: string; serviceConnectionString: string; pid: number }
      } catch {
        return undefined // half-written
      }
    })
    const cs = parseServiceConnectionString(info.serviceConnectionString)
    return {
      name: 'ledge', pid: child.pid!, host: '127.0.0.1', port: info.mqttPort, httpsPort: info.httpsPort, hubName: cs.hostName, logFile, stop,
      caPem: readFileSync(info.caFile, 'utf8'), caFile: info.caFile,
      serverCertFile: join(opts.dataDir, 'server.pem'), serverKeyFile: join(opts.dataDir, 'server.key.pem'),
      serviceToken: () => createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 3600 }),
    }
  } catch (err) {
    await stop(2000)
    throw err
  }
}

/** Creates the devices with `PUT /devices/{id}`, `concurrency` requests at a time, all with the same key. */
export async function provisionDevices(hub: LedgeHubProcess, ids: readonly string[], key: string, concurrency: number): Promise<{ created: number; failed: string[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: hub.caPem })
  const token = hub.serviceToken()
  const failed: string[] = []
  let created = 0
  let next = 0
  const put = (id: string): Promise<void> =>
    new Promise((resolve) => {
      const body = JSON.stringify({ deviceId: id, authentication: { type: 'sas', symmetricKey: { primaryKey: key, secondaryKey: key } } })
      const req = request(
        { host: hub.host, port: hub.httpsPort, method: 'PUT', path: `/devices/${encodeURIComponent(id)}?api-version=${API_VERSION}`, agent, timeout: 30_000,
          headers: { authorization: token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume()
          res.on('end', () => {
            if (res.statusCode === 200 || res.statusCode === 201 || res.statusCode === 409) created++
            else if (failed.length < 20) failed.push(`${id}: HTTP ${res.statusCode}`)
            resolve()
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error('timed out')))
      req.on('error', (err) => {
        if (failed.length < 20) failed.push(`${id}: ${err.message}`)
        resolve()
      })
      req.end(body)
    })
  const runner = async (): Promise<void> => {
    while (next < ids.length) await put(ids[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, runner))
  agent.destroy()
  return { created, failed }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/**
 * A private Mosquitto (never the system one on 1883): MQTT over TLS on a free 127.0.0.1 port, the hub's server
 * certificate, anonymous clients, no persistence, connection logging on as the hub's is.
 */
export async function startMosquitto(opts: { dir: string; certFile: string; keyFile: string }): Promise<BrokerProcess> {
  const host = '127.0.0.1'
  const port = await freePort(host)
  const conf = join(opts.dir, 'mosquitto.conf')
  const logFile = join(opts.dir, 'mosquitto.log')
  writeFileSync(
    conf,
    [
      '# Written by bench/hub for one run; removed with its temp folder.',
      // The key file is root's (0600): keep root rather than drop to the mosquitto user. Ignored when not root.
      'user root',
      `listener ${port} ${host}`,
      `certfile ${opts.certFile}`,
      `keyfile ${opts.keyFile}`,
      'allow_anonymous true',
      'persistence false',
      'max_connections -1',
      'max_queued_messages 100000',
      `log_dest file ${logFile}`,
      '',
    ].join('\n'),
  )
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' })
  const stop = stopper(child)
  try {
    await waitFor('mosquitto', 10_000, child, logFile, async () => ((await canConnect(host, port)) ? true : undefined))
  } catch (err) {
    await stop(2000)
    throw err
  }
  return { name: 'mosquitto', pid: child.pid!, host, port, logFile, stop }
}
