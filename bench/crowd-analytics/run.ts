/**
 * Crowd analytics end to end, through the real chain: a hub (`ledge hub start`), the edge runtime (`ledge edge start`:
 * daemon, agent, edge hub, as processes) and deploy/crowd-analytics.json (camera → face-detector → $upstream), started
 * as `npm start` does it (scripts/demo's pieces), in a temp folder of its own. For each camera rate it measures:
 *
 * - latency capture → hub: the hub's `enqueuedTimeUtc` of each `detections` message minus its `captureTime` property
 *   (both from this machine's clock; `enqueuedTimeUtc` is set when the hub takes the PUBLISH), p50 / p95 / max;
 * - bytes: the camera's `stats.bytesSent`, the face-detector's `stats.bytesIn` / `bytesOut` (deltas of the reported
 *   twin counters over the phase), and the bodies of the events the hub stored for the frames captured in the phase;
 * - RSS (`VmRSS`) and CPU of the daemon, edgeAgent, edgeHub, camera and face-detector (pids from the process runtime's
 *   records, `<edge home>/runtime/modules/*.json`), and of the hub, sampled every second.
 *
 *   node --import tsx bench/crowd-analytics/run.ts [--seconds 60] [--fps 2,5] [--json out.json] [--keep]
 *
 * Everything is stopped at the end (SIGTERM to the daemon, which stops its modules, then the hub).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { HubInfoFile } from '@ledge/protocol'
import { crowdAnalyticsDeployment } from '../../scripts/demo/deployment.js'
import { freePort } from '../../scripts/demo/free-port.js'
import { hubClient } from '../../scripts/demo/hub-client.js'
import { rssBytes } from '../hub/proc.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    fps: { type: 'string', default: '2,5' },
    settle: { type: 'string', default: '10' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
})
const phaseSeconds = Number(values.seconds)
const rates = values.fps.split(',').map(Number)
const settleSeconds = Number(values.settle)

const root = fileURLToPath(new URL('../../', import.meta.url))
const ledgeBin = join(root, 'packages', 'cli', 'bin', 'ledge.js')
const work = mkdtempSync(join(tmpdir(), 'ledge-bench-crowd-'))
const hubDir = join(work, 'hub')
const edgeDir = join(work, 'edge')
const edgeHome = join(edgeDir, 'home')
const deviceId = 'EdgeCam'
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

// ---------------------------------------------------------------------------------------------------------------
// Processes, and stopping them
const children: { c: ChildProcess; name: string; signal: NodeJS.Signals }[] = []
function stopChild(c: ChildProcess, signal: NodeJS.Signals, ms = 30_000): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>((r) => c.once('exit', () => r()))
  c.kill(signal)
  return Promise.race([exited, sleep(ms).then(() => void c.kill('SIGKILL'))])
}
let stopping = false
async function stopAll(): Promise<void> {
  if (stopping) return
  stopping = true
  for (const { c, name, signal } of [...children].reverse()) {
    log(`stopping ${name} (${signal})`)
    await stopChild(c, signal)
  }
}
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)))
process.on('SIGTERM', () => void stopAll().then(() => process.exit(143)))

function ledge(...args: string[]): string {
  return execFileSync(process.execPath, [ledgeBin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

// ---------------------------------------------------------------------------------------------------------------
// /proc
const CLK_TCK = 100
function rssKiB(pid: number): number | undefined {
  const bytes = rssBytes(pid)
  return bytes === undefined ? undefined : bytes / 1024
}
/** utime + stime of `pid` and its reaped children (not of live children: each module is its own pid here). */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return undefined
  }
}
interface ModuleRecord { config: { name: string }; status: string; pid?: number; startedAt?: string; exitCode?: number; exitedAt?: string; description?: string }
function moduleRecords(): ModuleRecord[] {
  const dir = join(edgeHome, 'runtime', 'modules')
  if (!existsSync(dir)) return []
  const out: ModuleRecord[] = []
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue
    try {
      out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as ModuleRecord)
    } catch {
      /* being rewritten */
    }
  }
  return out
}

/** Every second: RSS and CPU ticks of each process, and pid changes (restarts) of each module. */
interface Sample { t: number; rss: Record<string, number>; ticks: Record<string, number> }
const samples: Sample[] = []
const pidsSeen: Record<string, { pid: number; at: number }[]> = {}
const exits: string[] = []
function sampleOnce(fixed: Record<string, number>): void {
  const pids: Record<string, number> = { ...fixed }
  for (const r of moduleRecords()) {
    if (r.status === 'running' && r.pid) pids[r.config.name] = r.pid
    const seen = (pidsSeen[r.config.name] ??= [])
    if (r.pid && seen[seen.length - 1]?.pid !== r.pid) seen.push({ pid: r.pid, at: Date.now() })
    const exit = r.exitedAt && `${r.config.name} exited at ${r.exitedAt} (code ${r.exitCode}): ${r.description ?? ''}`
    if (exit && !exits.includes(exit)) exits.push(exit)
  }
  const s: Sample = { t: Date.now(), rss: {}, ticks: {} }
  for (const [name, pid] of Object.entries(pids)) {
    const r = rssKiB(pid)
    const c = cpuTicks(pid)
    if (r !== undefined) s.rss[name] = r
    if (c !== undefined) s.ticks[name] = c
  }
  samples.push(s)
}

// ---------------------------------------------------------------------------------------------------------------
// Start: hub, device, edge runtime, deployment (as scripts/demo.ts)
log(`work folder ${work}; ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}, load average ${load()}`)
mkdirSync(hubDir, { recursive: true })
mkdirSync(edgeDir, { recursive: true })
const hubLog = openSync(join(work, 'hub.log'), 'a')
const hubProc = spawn(process.execPath, [ledgeBin, 'hub', 'start', '--data-dir', hubDir, '--hostname', 'localhost', '--bind', '127.0.0.1', '--https-port', '0', '--mqtt-port', '0', '--amqp-port', '0', '--log-level', 'warn'], { stdio: ['ignore', hubLog, hubLog] })
children.push({ c: hubProc, name: 'the hub', signal: 'SIGINT' })
const infoFile = join(hubDir, 'hub.json')
for (let i = 0; i < 600 && !existsSync(infoFile); i++) await sleep(100)
if (!existsSync(infoFile)) {
  await stopAll()
  throw new Error('the hub did not start within 60 s')
}
const info = JSON.parse(readFileSync(infoFile, 'utf8')) as HubInfoFile
const hub = hubClient(info, readFileSync(info.caFile, 'utf8'))
const hubLogin = ['--data-dir', hubDir]
ledge('hub', 'device-identity', 'create', '--device-id', deviceId, '--edge-enabled', '--output', 'json', ...hubLogin)
const connectionString = ledge('hub', 'device-identity', 'connection-string', 'show', '--device-id', deviceId, ...hubLogin)
const config = join(edgeDir, 'config.toml')
ledge('edge', 'config', 'mp', '--connection-string', connectionString, '--config', config, '--force', '--hostname', '127.0.0.1',
  '--home-dir', edgeHome, '--hub-ca-cert', info.caFile, '--mqtt-port', String(info.mqttPort), '--hub-https-port', String(info.httpsPort),
  '--module-gateway', 'edge_hub')
writeFileSync(config, `trust_bundle_cert = ${JSON.stringify(info.caFile)}\n${readFileSync(config, 'utf8')}\n[agent.env]\nLEDGE_AGENT_RECONCILE_INTERVAL_MS = "2000"\n`, { mode: 0o600 })
const edgeLog = openSync(join(edgeDir, 'edge.log'), 'a')
const daemon = spawn(process.execPath, [ledgeBin, 'edge', 'start', '--config', config], { stdio: ['ignore', edgeLog, edgeLog], env: { ...process.env, LEDGE_LOG_LEVEL: 'info' } })
children.push({ c: daemon, name: 'the edge daemon', signal: 'SIGTERM' })
const fixedPids = { hub: hubProc.pid!, daemon: daemon.pid! }
const sampler = setInterval(() => sampleOnce(fixedPids), 1000)

const edgeHubPorts = { host: '127.0.0.1', mqtt: await freePort(), https: await freePort(), metrics: await freePort() }
const manifest = crowdAnalyticsDeployment(root, edgeHubPorts)
manifest.modulesContent.camera['properties.desired'].fps = rates[0]
const manifestFile = join(work, 'crowd-analytics.deployment.json')
writeFileSync(manifestFile, JSON.stringify(manifest, null, 2))
const firstOffset = (await hub.get('/events/messages?from=latest&limit=1')).next as number
const deployedAt = Date.now()
ledge('hub', 'edge', 'set-modules', '--device-id', deviceId, '--content', manifestFile, ...hubLogin)
log(`deployed (camera at ${rates[0]} fps); waiting for the first detection at the hub`)

// ---------------------------------------------------------------------------------------------------------------
// Reading the hub
interface Ev { offset: number; moduleId?: string; enqueuedTimeUtc: string; systemProperties?: Record<string, string>; properties?: Record<string, string>; body: unknown; bodyEncoding: string }
let nextOffset = firstOffset
const events: Ev[] = []
async function pollEvents(): Promise<void> {
  for (;;) {
    const page = await hub.get(`/events/messages?deviceId=${deviceId}&from=${nextOffset}&limit=1000`)
    events.push(...(page.events as Ev[]))
    const more = page.next !== nextOffset && page.events.length === 1000
    nextOffset = page.next
    if (!more) return
  }
}
const outputOf = (e: Ev): string | undefined => e.systemProperties?.outputName
const isDetection = (e: Ev): boolean => e.moduleId === 'face-detector' && outputOf(e) === 'detections'
const isFrame = (e: Ev): boolean => e.moduleId === 'face-detector' && outputOf(e) === 'frames'
const bodyBytes = (e: Ev): number =>
  e.bodyEncoding === 'base64' ? Buffer.from(String(e.body), 'base64').length : e.bodyEncoding === 'json' ? Buffer.byteLength(JSON.stringify(e.body)) : Buffer.byteLength(String(e.body))
async function reported(module: string): Promise<any> {
  try {
    return (await hub.get(`/twins/${deviceId}/modules/${module}`)).properties.reported ?? {}
  } catch {
    return {}
  }
}

let firstDetectionAt: number | undefined
for (let i = 0; i < 600 && firstDetectionAt === undefined; i++) {
  await sleep(500)
  if (daemon.exitCode !== null) break
  await pollEvents()
  const d = events.find(isDetection)
  if (d) firstDetectionAt = Date.parse(d.enqueuedTimeUtc)
}
if (firstDetectionAt === undefined) {
  log('no detection reached the hub within 5 minutes')
  clearInterval(sampler)
  await stopAll()
  process.exit(1)
}
const startup = { firstDetectionMs: firstDetectionAt - deployedAt, restartsBeforeFirstDetection: Object.fromEntries(Object.entries(pidsSeen).map(([n, p]) => [n, p.length - 1])) }
log(`first detection at the hub ${(startup.firstDetectionMs / 1000).toFixed(1)} s after set-modules; module starts so far: ${JSON.stringify(pidsSeen, (k, v) => (k === 'at' ? undefined : v))}`)

// ---------------------------------------------------------------------------------------------------------------
// Phases
const quant = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN
}
const phases: any[] = []
for (const fps of rates) {
  if (fps !== rates[0]) {
    const r = await hub.send('PATCH', `/twins/${deviceId}/modules/camera`, { properties: { desired: { fps } } })
    if (r.status >= 400) throw new Error(`twin patch: ${r.status} ${JSON.stringify(r.body)}`)
    for (let i = 0; i < 60 && (await reported('camera')).settings?.fps !== fps; i++) await sleep(500)
  }
  log(`camera at ${fps} fps: settling ${settleSeconds} s`)
  await sleep(settleSeconds * 1000)
  // Counters: the latest reports (every 2 s) at the start and the end of the window.
  const cam0 = (await reported('camera')).stats ?? {}
  const det0 = (await reported('face-detector')).stats ?? {}
  const t0 = Date.now()
  const load0 = loadavg()
  log(`camera at ${fps} fps: measuring ${phaseSeconds} s (load average ${load()})`)
  await sleep(phaseSeconds * 1000)
  const t1 = Date.now()
  const load1 = loadavg()
  const cam1 = (await reported('camera')).stats ?? {}
  const det1 = (await reported('face-detector')).stats ?? {}
  // Let the last frames of the window through the chain, then read the hub.
  await sleep(5000)
  await pollEvents()
  const inWindow = (e: Ev): boolean => {
    const c = Date.parse(e.properties?.captureTime ?? '')
    return c >= t0 && c < t1
  }
  const dets = events.filter((e) => isDetection(e) && inWindow(e))
  const frames = events.filter((e) => isFrame(e) && inWindow(e))
  const lat = dets.map((e) => Date.parse(e.enqueuedTimeUtc) - Date.parse(e.properties!.captureTime!))
  const faces = dets.reduce((a, e) => a + Number((e.body as any)?.faceCount ?? 0), 0)
  const win = samples.filter((s) => s.t >= t0 && s.t <= t1)
  const names = ['daemon', 'edgeAgent', 'edgeHub', 'camera', 'face-detector', 'hub']
  const proc: Record<string, { rssStartMiB: number; rssMaxMiB: number; rssEndMiB: number; cpuPercent: number }> = {}
  for (const n of names) {
    const rs = win.map((s) => s.rss[n]).filter((x): x is number => x !== undefined)
    const ts = win.map((s) => s.ticks[n]).filter((x): x is number => x !== undefined)
    if (!rs.length) continue
    const mib = (k: number): number => Math.round((k / 1024) * 10) / 10
    proc[n] = { rssStartMiB: mib(rs[0]!), rssMaxMiB: mib(Math.max(...rs)), rssEndMiB: mib(rs[rs.length - 1]!), cpuPercent: ts.length > 1 ? Math.round(((ts[ts.length - 1]! - ts[0]!) / CLK_TCK / ((t1 - t0) / 1000)) * 100) : NaN }
  }
  const d = (a: any, b: any, k: string): number => Number(b[k] ?? 0) - Number(a[k] ?? 0)
  const phase = {
    fps, seconds: (t1 - t0) / 1000, loadAverageStart: load0, loadAverageEnd: load1,
    camera: { framesSent: d(cam0, cam1, 'framesSent'), bytesSent: d(cam0, cam1, 'bytesSent'), reportedFps: cam1.fps, countersAt: [cam0.at, cam1.at] },
    detector: {
      framesReceived: d(det0, det1, 'framesReceived'), framesAnalysed: d(det0, det1, 'framesAnalysed'), framesForwarded: d(det0, det1, 'framesForwarded'),
      framesDropped: d(det0, det1, 'framesDropped'), bytesIn: d(det0, det1, 'bytesIn'), bytesOut: d(det0, det1, 'bytesOut'),
      savedPercentPhase: Math.round((1 - d(det0, det1, 'bytesOut') / Math.max(1, d(det0, det1, 'bytesIn'))) * 1000) / 10,
      savedPercentReported: det1.savedPercent, avgInferenceMs: det1.avgInferenceMs, countersAt: [det0.at, det1.at],
    },
    hub: {
      detections: dets.length, faces, framesForwarded: frames.length,
      detectionBytes: dets.reduce((a, e) => a + bodyBytes(e), 0), frameBytes: frames.reduce((a, e) => a + bodyBytes(e), 0),
      latencyMs: { n: lat.length, p50: quant(lat, 0.5), p95: quant(lat, 0.95), max: Math.max(...lat), min: Math.min(...lat) },
    },
    processes: proc,
  }
  phases.push(phase)
  log(`camera at ${fps} fps: ${JSON.stringify(phase)}`)
}

// ---------------------------------------------------------------------------------------------------------------
// Stop, check nothing is left, report
clearInterval(sampler)
const modulePids = Object.values(pidsSeen).flatMap((p) => p.map((x) => x.pid))
await stopAll()
await sleep(1000)
const leftOver = modulePids.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'))
const result = {
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadAverageAtEnd: loadavg() },
  startup, moduleStarts: pidsSeen, moduleExits: exits, phases, leftOverProcesses: leftOver, work,
}
if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2))
console.log(JSON.stringify(result, null, 2))
if (leftOver.length) log(`processes left behind: ${leftOver.join(' ')}`)
if (!values.keep) rmSync(work, { recursive: true, force: true })
else log(`kept ${work}`)
process.exit(0)
