/**
 * The main job on the embedded default (`npm start`): start a hub with its own data folder, CA and SQLite store,
 * register a device, run it with the unmodified Azure IoT device SDK sending telemetry, and watch the telemetry arrive
 * through the hub's events stream, all in this terminal. Ctrl-C stops everything; running it again reuses the hub's
 * data (same device, same keys).
 *
 *   npm start                        # until Ctrl-C
 *   npm start -- --count 10          # stop after 10 messages
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { HubInfoFile } from '@ledge/protocol'

const root = fileURLToPath(new URL('..', import.meta.url))
const dataDir = process.env.LEDGE_DEMO_DATA_DIR ?? join(root, '.ledge', 'demo-hub')
const ledgeBin = join(root, 'packages', 'cli', 'bin', 'ledge.js')
const deviceId = 'demo-sensor'
const countArg = process.argv.indexOf('--count')
const count = countArg > 0 ? Number(process.argv[countArg + 1]) : Infinity

const require = createRequire(import.meta.url)
const { Client, Message } = require('azure-iot-device') as typeof import('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')

const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s)
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const say = (s: string): void => console.log(`${bold('ledge demo')} ${s}`)

function ledge(...args: string[]): string {
  return execFileSync(process.execPath, [ledgeBin, ...args, '--data-dir', dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

/** How to stop each part, newest first: the watcher and the device go before the hub they talk to. */
const stoppers: (() => Promise<unknown>)[] = []
let stopping = false
function stopChild(c: ChildProcess): () => Promise<unknown> {
  return () => {
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve()
    const exited = new Promise((r) => c.once('exit', r))
    c.kill('SIGINT')
    return exited
  }
}
async function stop(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true
    for (const s of stoppers.reverse()) await s()
  }
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))

async function startHub(): Promise<HubInfoFile> {
  const infoFile = join(dataDir, 'hub.json')
  rmSync(infoFile, { force: true })
  // Unprivileged ports picked by the system: the demo needs no root and collides with nothing.
  const hub = spawn(process.execPath, [ledgeBin, 'hub', 'start', '--data-dir', dataDir, '--hostname', 'localhost', '--bind', '127.0.0.1', '--https-port', '0', '--mqtt-port', '0', '--amqp-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] })
  stoppers.push(stopChild(hub))
  hub.once('exit', (code) => {
    if (!stopping) {
      console.error(`the hub exited unexpectedly (code ${code})`)
      void stop(1)
    }
  })
  for (let i = 0; i < 600 && !existsSync(infoFile); i++) await new Promise((r) => setTimeout(r, 100))
  if (!existsSync(infoFile)) throw new Error('the hub did not start within 60 s')
  return JSON.parse(readFileSync(infoFile, 'utf8')) as HubInfoFile
}

const info = await startHub()
say(`hub '${info.hostName}' is up: REST on https://127.0.0.1:${info.httpsPort}, MQTT on 127.0.0.1:${info.mqttPort}, data in ${dataDir}`)

try {
  ledge('hub', 'device-identity', 'show', '--device-id', deviceId, '--output', 'json')
  say(`device '${deviceId}' exists already (kept from the last run)`)
} catch {
  ledge('hub', 'device-identity', 'create', '--device-id', deviceId, '--output', 'json')
  say(`registered device '${deviceId}'  ${dim(`(ledge hub device-identity create --device-id ${deviceId})`)}`)
}
const connectionString = ledge('hub', 'device-identity', 'connection-string', 'show', '--device-id', deviceId)
say(`its connection string: ${dim(connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=…'))}`)

const monitor = spawn(process.execPath, [ledgeBin, 'hub', 'monitor-events', '--device-id', deviceId, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
stoppers.push(stopChild(monitor))
let seen = 0
monitor.stdout!.setEncoding('utf8')
monitor.stdout!.on('data', (chunk: string) => {
  for (const line of chunk.split('\n').filter(Boolean)) {
    process.stdout.write(`${bold('  hub ◀')} ${line}\n`)
    if (line.includes('"temperature"')) seen++
  }
  if (seen >= count) void stop(0)
})
say(`watching the events stream  ${dim(`(ledge hub monitor-events --device-id ${deviceId})`)}`)

const client = Client.fromConnectionString(connectionString, Mqtt)
await client.setOptions({ ca: readFileSync(info.caFile, 'utf8') })
await client.open()
say(`device connected with the unmodified azure-iot-device SDK (MQTT over TLS); sending telemetry every second, Ctrl-C to stop`)
let n = 0
const timer = setInterval(() => {
  if (n >= count) return clearInterval(timer)
  const temperature = Math.round((20 + 5 * Math.sin(n / 5) + Math.random()) * 10) / 10
  const msg = new Message(JSON.stringify({ temperature, humidity: 40 + (n % 10) }))
  msg.contentType = 'application/json'
  msg.contentEncoding = 'utf-8'
  msg.properties.add('alert', temperature > 24 ? 'hot' : 'normal')
  n++
  client.sendEvent(msg).then(
    () => process.stdout.write(`${bold('device ▶')} message ${n} acknowledged (temperature ${temperature})\n`),
    (err: Error) => console.error(`device: send failed: ${err.message}`),
  )
}, 1000)
stoppers.push(async () => {
  clearInterval(timer)
  await client.close()
})
