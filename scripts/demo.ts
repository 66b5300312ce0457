/**
 * The main job on the embedded default (`npm start`): crowd analytics at the edge, on this machine, with no Docker
 * and no cloud account. It starts a hub (its own data folder, CA and SQLite store), creates the edge device
 * `EdgeCam`, starts the edge runtime (`ledge edge start`: daemon, agent, edge hub, all as processes), deploys
 * deploy/crowd-analytics.json (camera → face-detector → $upstream), and shows what happens in this terminal: modules
 * running, frames analysed, faces found, frames forwarded, and the bytes the edge kept off the link. Ctrl-C stops
 * everything; running it again resumes with the same hub and device.
 *
 *   npm start                          # until Ctrl-C
 *   npm start -- --count 10            # stop after the hub received 10 detections
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HubInfoFile } from '@ledge/protocol'
import { crowdAnalyticsDeployment } from './demo/deployment.js'
import { freePort } from './demo/free-port.js'
import { hubClient } from './demo/hub-client.js'
import { LiveView } from './demo/live-view.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const demoDir = process.env.LEDGE_DEMO_DIR ?? join(root, '.ledge', 'demo')
const hubDir = join(demoDir, 'hub')
const edgeDir = join(demoDir, 'edge')
const ledgeBin = join(root, 'packages', 'cli', 'bin', 'ledge.js')
const deviceId = 'EdgeCam'
const countArg = process.argv.indexOf('--count')
const count = countArg > 0 ? Number(process.argv[countArg + 1]) : Infinity

const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s)
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const say = (s: string): void => console.log(`${bold('ledge demo')} ${s}`)

function ledge(...args: string[]): string {
  return execFileSync(process.execPath, [ledgeBin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

/** How to stop each part, newest first: the edge runtime goes before the hub it talks to. */
const stoppers: (() => Promise<unknown>)[] = []
let stopping = false
function stopChild(c: ChildProcess, signal: NodeJS.Signals): () => Promise<unknown> {
  return () => {
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve()
    const exited = new Promise((r) => c.once('exit', r))
    c.kill(signal)
    return exited
  }
}
async function stop(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true
    say('stopping: the edge runtime (its modules first), then the hub')
    for (const s of stoppers.reverse()) await s()
  }
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))

function watch(c: ChildProcess, what: string): void {
  c.once('exit', (code) => {
    if (!stopping) {
      console.error(`${what} exited unexpectedly (code ${code})`)
      void stop(1)
    }
  })
}

async function startHub(): Promise<HubInfoFile> {
  const infoFile = join(hubDir, 'hub.json')
  rmSync(infoFile, { force: true })
  // Unprivileged ports picked by the system: the demo needs no root and collides with nothing.
  const hub = spawn(process.execPath, [ledgeBin, 'hub', 'start', '--data-dir', hubDir, '--hostname', 'localhost', '--bind', '127.0.0.1', '--https-port', '0', '--mqtt-port', '0', '--amqp-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] })
  stoppers.push(stopChild(hub, 'SIGINT'))
  watch(hub, 'the hub')
  for (let i = 0; i < 600 && !existsSync(infoFile); i++) await new Promise((r) => setTimeout(r, 100))
  if (!existsSync(infoFile)) throw new Error('the hub did not start within 60 s')
  return JSON.parse(readFileSync(infoFile, 'utf8')) as HubInfoFile
}

const info = await startHub()
const hubLogin = ['--data-dir', hubDir]
const hub = hubClient(info, readFileSync(info.caFile, 'utf8'))
say(`hub '${info.hostName}' is up: REST and dashboard on https://localhost:${info.httpsPort}, MQTT on 127.0.0.1:${info.mqttPort}, data in ${hubDir}`)

// The edge device, with its $edgeAgent and $edgeHub identities (kept from an earlier run if there is one).
try {
  ledge('hub', 'device-identity', 'show', '--device-id', deviceId, '--output', 'json', ...hubLogin)
  say(`edge device '${deviceId}' exists already (kept from the last run)`)
} catch {
  ledge('hub', 'device-identity', 'create', '--device-id', deviceId, '--edge-enabled', '--output', 'json', ...hubLogin)
  say(`created the edge device '${deviceId}'  ${dim(`(ledge hub device-identity create --device-id ${deviceId} --edge-enabled)`)}`)
}
const connectionString = ledge('hub', 'device-identity', 'connection-string', 'show', '--device-id', deviceId, ...hubLogin)

// The edge runtime's config.toml: manual provisioning, the hub's own ports and CA, modules through the edge hub.
mkdirSync(edgeDir, { recursive: true })
const config = join(edgeDir, 'config.toml')
ledge('edge', 'config', 'mp', '--connection-string', connectionString, '--config', config, '--force', '--hostname', '127.0.0.1',
  '--home-dir', join(edgeDir, 'home'), '--hub-ca-cert', info.caFile, '--mqtt-port', String(info.mqttPort), '--hub-https-port', String(info.httpsPort),
  '--module-gateway', 'edge_hub')
// The edge hub and the agent trust the hub's CA through the workload API's trust bundle; the agent reconciles often.
writeFileSync(config, `trust_bundle_cert = ${JSON.stringify(info.caFile)}\n${readFileSync(config, 'utf8')}\n[agent.env]\nLEDGE_AGENT_RECONCILE_INTERVAL_MS = "2000"\n`, { mode: 0o600 })
say(`edge runtime configured  ${dim(`(ledge edge config mp … --config ${config})`)}`)

// The daemon's log goes to a file (the terminal is for the analytics); the modules' logs: `ledge logs <module>`.
const edgeLog = openSync(join(edgeDir, 'edge.log'), 'a')
const daemon = spawn(process.execPath, [ledgeBin, 'edge', 'start', '--config', config], { stdio: ['ignore', edgeLog, edgeLog], env: { ...process.env, LEDGE_LOG_LEVEL: 'info' } })
stoppers.push(stopChild(daemon, 'SIGTERM'))
watch(daemon, 'the edge runtime')
say(`edge runtime started: daemon, edge agent and edge hub run as processes, no Docker  ${dim(`(ledge edge start; its log: ${join(edgeDir, 'edge.log')})`)}`)

const edgeHubPorts = { host: '127.0.0.1', mqtt: await freePort(), https: await freePort(), metrics: await freePort() }
const manifest = crowdAnalyticsDeployment(root, edgeHubPorts)
const manifestFile = join(demoDir, 'crowd-analytics.deployment.json')
writeFileSync(manifestFile, JSON.stringify(manifest, null, 2))
ledge('hub', 'edge', 'set-modules', '--device-id', deviceId, '--content', manifestFile, ...hubLogin)
say(`deployed deploy/crowd-analytics.json: camera → face-detector → $upstream, frames only with people  ${dim(`(ledge hub edge set-modules --device-id ${deviceId} --content …)`)}`)
say(`edge hub metrics: http://127.0.0.1:${edgeHubPorts.metrics}/metrics`)
say(`dashboard: https://localhost:${info.httpsPort}/dashboard/  ${dim(`(ledge hub dashboard-token --data-dir ${hubDir})`)}`)
say(`raw events: ${dim(`ledge hub monitor-events --device-id ${deviceId} --data-dir ${hubDir}`)}   Ctrl-C stops everything`)

const view = new LiveView(hub, deviceId)
await view.start()
let tick = 0
for (;;) {
  await new Promise((r) => setTimeout(r, 1000))
  if (stopping) break
  try {
    await view.pollEvents()
    if (tick++ % 3 === 0) await view.printStatus()
  } catch (err) {
    console.error(dim(`(could not read from the hub: ${(err as Error).message})`))
  }
  if (view.counts.detections >= count) {
    await view.printStatus()
    await stop(0)
  }
}
