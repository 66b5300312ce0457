/**
 * `npm run bench:edge-hub`: the edge hub's broker (issue 4), in one run, next to Mosquitto.
 *
 *  1. Module → module at QoS 1, 1 KiB messages: a sender module publishes on
 *     `devices/{edge}/modules/sender/messages/events/$.on=out` with a window of unacknowledged PUBLISHes; the route
 *     `FROM /messages/modules/sender/outputs/out INTO BrokeredEndpoint("/modules/receiver/inputs/in")` takes them to
 *     the receiver module (subscribed to its inputs at QoS 1). The PUBACK comes after the store's commit (fsync by
 *     default). Throughput at full speed, then latency (send time in the payload) at half Mosquitto's rate. The peer:
 *     Mosquitto (TLS, no persistence: it keeps nothing on disk per message), the same two clients and message size.
 *  2. Backlog drain: the test hub stopped, the sender stores N messages routed to `$upstream`; the hub starts again
 *     and the time until all N are in its events stream is measured.
 *  3. Memory of the edge hub process (RSS and USS, its private pages): idle, and the peak under load; next to
 *     Mosquitto's, bare `node`'s and `node --import tsx`'s.
 *
 * Every client is an MQTT.js process of its own (client.ts); the edge hub is one too (edge-hub-process.ts, bundled as
 * the build bundles dist/edge-hub.js: bundle.ts); this process runs the test hub (idle during 1) and reads /proc.
 *
 *   npm run bench:edge-hub [-- --seconds 10 --window 200 --size 1024 --backlog 20000 --durability fsync,os
 *                              --receiver-nodelay --cpu-prof <dir> --no-mosquitto --mosquitto-rate <msgs/s>
 *                              --upstream-window <n> --from-source --node-flags='<flags>' --settle-seconds <s>
 *                              --tick-ms <ms> --pin --json <file>]
 *
 * `--receiver-nodelay` sets TCP_NODELAY on the receiver module's socket (MQTT.js, and so the Azure SDKs, leave Nagle
 * on); `--mosquitto-rate` with `--no-mosquitto` gives the rate the latency phase uses; `--upstream-window` the edge
 * hub's unacknowledged PUBLISHes to the hub during the drain (default: upstreamTarget's); `--from-source` runs the edge
 * hub through tsx instead of bundled; `--node-flags` gives it Node/V8 flags (space-separated, after `=`: parseArgs
 * takes a value starting with `--` for an option) instead of those the daemon gives it (`--v8-pool-size=1`);
 * `--settle-seconds` also measures its memory after that much more idling, at the start and after the load phases (V8
 * shrinks an idle heap after about 10 s; after a burst, the edge hub's `trimHeapWhenIdle` has it do so); `--tick-ms`
 * is how often the latency phases' sender publishes what is due (default 5: bursts of rate/200 messages); `--pin`
 * puts the broker's event loop on CPU 0 and the clients and this process on CPU 1 (taskset), so the three busy
 * processes do not queue for the same two cores.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ONE_BACKGROUND_THREAD } from '@ledge/common'
import { reexecWithTestCa } from '../test-ca.js'
import type { ClientConfig, Command } from './client.js'
import type { EdgeHubProcessConfig } from './edge-hub-process.js'
import { bundleEdgeHubProcess } from './bundle.js'
import { summaryTable } from './summary-table.js'
import { rssKb, ussKb } from '../edge/memory.js'
import { cpuSeconds, pinForBench } from '../hub/proc.js'

if (reexecWithTestCa()) process.exit()
const { startTestHub, testCaFiles, rest, freeLoopbackAddress } = await import('@ledge/testkit')
const { createIdentitySasToken } = await import('@ledge/protocol')
const { issueServerCertificate } = await import('@ledge/pki')
const { startMosquitto } = await import('../hub/brokers.js')

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    window: { type: 'string', default: '200' },
    size: { type: 'string', default: '1024' },
    backlog: { type: 'string', default: '20000' },
    durability: { type: 'string', default: 'fsync,os' },
    'cpu-prof': { type: 'string' },
    'no-mosquitto': { type: 'boolean', default: false },
    'receiver-nodelay': { type: 'boolean', default: false },
    'mosquitto-rate': { type: 'string' },
    'upstream-window': { type: 'string' },
    'from-source': { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
    'settle-seconds': { type: 'string', default: '0' },
    'tick-ms': { type: 'string', default: '5' },
    pin: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
})
const SECONDS = Number(args.seconds)
const WINDOW = Number(args.window)
const SIZE = Number(args.size)
const BACKLOG = Number(args.backlog)
const DURABILITIES = args.durability!.split(',') as ('fsync' | 'os')[]
const HERE = fileURLToPath(new URL('.', import.meta.url))
// The daemon's flags for the edge hub unless told otherwise (`--node-flags=` for none).
const NODE_FLAGS = args['node-flags'] === undefined ? [ONE_BACKGROUND_THREAD] : args['node-flags'].split(' ').filter(Boolean)
const SETTLE_SECONDS = Number(args['settle-seconds'])
const TICK_MS = Number(args['tick-ms'])
const EDGE = 'bench-edge'
const WARMUP_MS = 1000

const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)
const now = (): number => performance.timeOrigin + performance.now()
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

/** RSS, and USS: the pages only this process maps (RSS also counts the `node` binary and libraries it shares). */
function memMb(pid: number): { rssMb: number; ussMb: number } {
  return { rssMb: round1(rssKb(pid) / 1024), ussMb: round1(ussKb(pid) / 1024) }
}
const round1 = (x: number): number => Math.round(x * 10) / 10

/** Peak RSS and USS of a process, sampled every 200 ms until `stop()`. */
function peakSampler(pid: number): { stop(): { rssMb: number; ussMb: number } } {
  const peak = { rssMb: 0, ussMb: 0 }
  const sample = (): void => {
    try {
      const m = memMb(pid)
      peak.rssMb = Math.max(peak.rssMb, m.rssMb)
      peak.ussMb = Math.max(peak.ussMb, m.ussMb)
    } catch { /* exited */ }
  }
  const timer = setInterval(sample, 200)
  return { stop: () => (clearInterval(timer), sample(), peak) }
}

/** `--pin`: the broker's event loop on CPU 0; the clients, and this process (the test hub), on CPU 1. */
function pin(pid: number, cpu: 0 | 1): void {
  if (!args.pin) return
  const err = pinForBench(pid, cpu)
  if (err) log(`warning: cannot pin ${pid} to CPU ${cpu}: ${err}`)
}

// ---- child processes ------------------------------------------------------------------------------------------

interface Child { proc: ChildProcess; ask<T = any>(m: unknown, type?: string): Promise<T>; next<T = any>(type: string): Promise<T> }

/** `file`: a TypeScript file of this folder, run through tsx, or the absolute path of a bundle, run by plain node. */
function child(file: string, config: unknown, nodeArgs: string[] = []): Child {
  const script = isAbsolute(file) ? [file] : ['--import', 'tsx', join(HERE, file)]
  const proc = spawn(process.execPath, [...nodeArgs, ...script, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: process.env })
  const waiting = new Map<string, ((m: any) => void)[]>()
  const queued: any[] = []
  proc.on('message', (m: any) => {
    if (m.type === 'error') log(`${file}: ${m.message}`)
    const w = waiting.get(m.type)
    if (w?.length) w.shift()!(m)
    else queued.push(m)
  })
  const next = <T>(type: string): Promise<T> => {
    const i = queued.findIndex((m) => m.type === type)
    if (i >= 0) return Promise.resolve(queued.splice(i, 1)[0])
    return new Promise((resolve, reject) => {
      const list = waiting.get(type) ?? []
      list.push(resolve)
      waiting.set(type, list)
      proc.setMaxListeners(0)
      proc.once('exit', (code) => reject(new Error(`${file} exited (${code}) while waiting for '${type}'`)))
    })
  }
  return {
    proc, next,
    ask: <T>(m: unknown, type = 'done') => {
      const p = next<T>(type)
      proc.send(m as never)
      return p
    },
  }
}

async function stopChild(c: Child, m: unknown): Promise<void> {
  if (c.proc.exitCode !== null) return
  const exited = new Promise((r) => c.proc.once('exit', r))
  c.proc.send(m as never)
  const killer = setTimeout(() => c.proc.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(killer)
}

// ---- the measurements -----------------------------------------------------------------------------------------

interface Pair { sender: Child; receiver: Child; broker: number }

interface MaxResult { msgsPerSec: number; ackedPerSec: number; p50: number; p99: number; load: string; cpu: Record<string, number>; peak: { rssMb: number; ussMb: number } }
interface RateResult { rate: number; achieved: number; p50: number; p99: number; max: number; behindMs: number; load: string; cpu: Record<string, number> }

function cpuOf(p: Pair): Record<string, number> {
  return { broker: cpuSeconds(p.broker), sender: cpuSeconds(p.sender.proc.pid!), receiver: cpuSeconds(p.receiver.proc.pid!) }
}
function cpuShare(a: Record<string, number>, b: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.keys(a).map((k) => [k, Math.round(((b[k]! - a[k]!) / seconds) * 100)]))
}

async function caughtUp(p: Pair, expected: number, timeoutMs = 180_000): Promise<number> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const r = await p.receiver.ask<{ unique: number }>({ cmd: 'report', from: 0, to: 0 }, 'report')
    if (r.unique >= expected || Date.now() > until) return r.unique
    await sleep(100)
  }
}

async function maxPhase(p: Pair): Promise<MaxResult> {
  await p.receiver.ask({ cmd: 'reset' })
  const l = load()
  const c0 = cpuOf(p)
  const sampler = peakSampler(p.broker)
  const t0 = now()
  const s = await p.sender.ask<{ sent: number; acked: number; seconds: number }>({ cmd: 'max', seconds: SECONDS, window: WINDOW, size: SIZE } satisfies Command)
  const t1 = now()
  const c1 = cpuOf(p)
  const r = await p.receiver.ask<{ inWindow: number; p50: number; p99: number }>({ cmd: 'report', from: t0 + WARMUP_MS, to: t0 + SECONDS * 1000 }, 'report')
  await caughtUp(p, s.acked)
  return {
    msgsPerSec: Math.round(r.inWindow / (SECONDS - WARMUP_MS / 1000)), ackedPerSec: Math.round(s.acked / s.seconds), p50: r.p50, p99: r.p99, load: l,
    cpu: cpuShare(c0, c1, (t1 - t0) / 1000), peak: sampler.stop(),
  }
}

async function ratePhase(p: Pair, rate: number): Promise<RateResult> {
  await p.receiver.ask({ cmd: 'reset' })
  const l = load()
  const c0 = cpuOf(p)
  const t0 = now()
  const s = await p.sender.ask<{ sent: number; acked: number; behindMs: number }>({ cmd: 'rate', seconds: SECONDS, rate, size: SIZE, tickMs: TICK_MS } satisfies Command)
  const c1 = cpuOf(p)
  await caughtUp(p, s.sent)
  const r = await p.receiver.ask<{ inWindow: number; p50: number; p99: number; max: number }>({ cmd: 'report', from: t0 + WARMUP_MS, to: t0 + SECONDS * 1000 + 60_000 }, 'report')
  return { rate, achieved: Math.round(s.sent / SECONDS), p50: r.p50, p99: r.p99, max: r.max, behindMs: Math.round(s.behindMs), load: l, cpu: cpuShare(c0, c1, SECONDS) }
}

/**
 * RSS and USS after `--settle-seconds` more of idling, `idleSoFar` s already behind (sampled every 10 s, logged), and
 * the process's own view: V8 heap and the memory outside it (`external`: Buffers and other native allocations).
 */
async function settledMemory(eh: Child, idleSoFar: number): Promise<Record<string, number>> {
  const pid = eh.proc.pid!
  for (let waited = 0; waited < SETTLE_SECONDS;) {
    const step = Math.min(10, SETTLE_SECONDS - waited)
    await sleep(step * 1000)
    waited += step
    log(`  idle ${idleSoFar + waited} s: ${JSON.stringify(memMb(pid))}`)
  }
  const m = (await eh.ask<{ memory: NodeJS.MemoryUsage }>({ cmd: 'rss' }, 'rss')).memory
  return {
    afterSeconds: idleSoFar + SETTLE_SECONDS, ...memMb(pid),
    heapUsedMb: round1(m.heapUsed / 1024 ** 2), heapTotalMb: round1(m.heapTotal / 1024 ** 2), externalMb: round1(m.external / 1024 ** 2),
  }
}

async function idleNode(nodeArgs: string[]): Promise<{ rssMb: number; ussMb: number }> {
  const c = spawn(process.execPath, [...nodeArgs, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  await sleep(2000)
  const m = memMb(c.pid!)
  c.kill()
  return m
}

// ---- the run --------------------------------------------------------------------------------------------------

const tmp = await mkdtemp(join(tmpdir(), 'ledge-bench-edge-hub-'))
const ca = testCaFiles()
const caPem = await readFile(ca.certFile, 'utf8')
const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 1024 ** 3), node: process.version, date: new Date().toISOString() },
  settings: {
    seconds: SECONDS, window: WINDOW, size: SIZE, backlog: BACKLOG, tickMs: TICK_MS, pinned: args.pin, receiverNoDelay: args['receiver-nodelay'], upstreamWindow: args['upstream-window'] ?? 'default',
    edgeHub: args['from-source'] ? 'sources through tsx' : 'bundled', nodeFlags: NODE_FLAGS.join(' '),
  },
  loadAtStart: load(),
}
log(`load average at start: ${load()}`)
pin(process.pid, 1)

try {
  results.baseline = { bareNode: await idleNode([]), tsxNode: await idleNode(['--import', 'tsx']) }
  log(`memory baseline: ${JSON.stringify(results.baseline)}`)
  const edgeHubScript = args['from-source'] ? 'edge-hub-process.ts' : await bundleEdgeHubProcess()
  const caKey = await readFile(ca.keyFile, 'utf8')

  // 1a. Mosquitto.
  let mosquittoRate = args['mosquitto-rate'] ? Number(args['mosquitto-rate']) : NaN
  if (!args['no-mosquitto']) {
    const dir = join(tmp, 'mosquitto')
    mkdirSync(dir)
    const cert = await issueServerCertificate({ certificate: caPem, privateKey: caKey }, { commonName: '127.0.0.1', dnsNames: [], ipAddresses: ['127.0.0.1'], validityDays: 1 })
    writeFileSync(join(dir, 'server.pem'), cert.chain)
    writeFileSync(join(dir, 'server.key.pem'), cert.privateKey, { mode: 0o600 })
    const mosq = await startMosquitto({ dir, certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key.pem') })
    pin(mosq.pid, 0)
    const topic = 'bench/edge-hub/in'
    const base = { host: mosq.host, port: mosq.port, ca: caPem, topic }
    const receiver = child('client.ts', { ...base, role: 'receiver', clientId: 'receiver' } satisfies ClientConfig)
    const sender = child('client.ts', { ...base, role: 'sender', clientId: 'sender' } satisfies ClientConfig)
    await Promise.all([receiver.next('ready'), sender.next('ready')])
    for (const c of [receiver, sender]) pin(c.proc.pid!, 1)
    const pair = { sender, receiver, broker: mosq.pid }
    await sleep(3000)
    const idle = memMb(mosq.pid)
    const max = await maxPhase(pair)
    log(`mosquitto max: ${JSON.stringify(max)}`)
    if (Number.isNaN(mosquittoRate)) mosquittoRate = max.msgsPerSec
    const half = await ratePhase(pair, Math.round(mosquittoRate / 2))
    log(`mosquitto at half: ${JSON.stringify(half)}`)
    results.mosquitto = { max, half, idle }
    await Promise.all([stopChild(sender, { cmd: 'stop' }), stopChild(receiver, { cmd: 'stop' })])
    await mosq.stop()
  }
  if (Number.isNaN(mosquittoRate)) throw new Error('--no-mosquitto needs --mosquitto-rate <msgs/s>')

  // The test hub, the edge device, its two modules and the routes.
  const hubDir = join(tmp, 'hub')
  let th = await startTestHub({ dataDir: hubDir })
  const hubHost = th.host
  const hubMqttPort = th.hub.mqttPort
  const edge = await rest(th, 'PUT', `/devices/${EDGE}`, { deviceId: EDGE, capabilities: { iotEdge: true } })
  if (edge.status !== 200) throw new Error(`creating the edge device: ${JSON.stringify(edge.body)}`)
  const keys: Record<string, string> = {}
  for (const m of ['sender', 'receiver']) keys[m] = (await rest(th, 'PUT', `/devices/${EDGE}/modules/${m}`, { deviceId: EDGE, moduleId: m })).body.authentication.symmetricKey.primaryKey
  const edgeHubKey = (await rest(th, 'GET', `/devices/${EDGE}/modules/${encodeURIComponent('$edgeHub')}`)).body.authentication.symmetricKey.primaryKey as string
  const routes = {
    schemaVersion: '1.1',
    routes: {
      toReceiver: 'FROM /messages/modules/sender/outputs/out INTO BrokeredEndpoint("/modules/receiver/inputs/in")',
      toCloud: 'FROM /messages/modules/sender/outputs/up INTO $upstream',
    },
    storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
  }
  const patched = await rest(th, 'PATCH', `/twins/${EDGE}/modules/${encodeURIComponent('$edgeHub')}`, { properties: { desired: routes } })
  if (patched.status !== 200) throw new Error(`setting the routes: ${JSON.stringify(patched.body)}`)

  const moduleClient = (role: 'sender' | 'receiver', host: string): ClientConfig => ({
    role, host, noDelay: role === 'receiver' && args['receiver-nodelay'], port: 8883, ca: caPem, clientId: `${EDGE}/${role}`, username: `${hubHost}/${EDGE}/${role}/?api-version=2021-04-12`,
    password: createIdentitySasToken({ hostName: hubHost, deviceId: EDGE, moduleId: role, keyBase64: keys[role]!, expiresAt: Date.now() / 1000 + 3 * 3600 }),
    ...(role === 'sender'
      ? { topic: `devices/${EDGE}/modules/sender/messages/events/$.on=out`, topic2: `devices/${EDGE}/modules/sender/messages/events/$.on=up` }
      : { topic: `devices/${EDGE}/modules/receiver/inputs/#` }),
  })

  for (const durability of DURABILITIES) {
    const dir = join(tmp, `edge-${durability}`)
    mkdirSync(dir)
    const host = await freeLoopbackAddress(8883)
    const profDir = args['cpu-prof'] ? join(args['cpu-prof'], durability) : undefined
    const server = await issueServerCertificate({ certificate: caPem, privateKey: caKey }, { commonName: host, dnsNames: [], ipAddresses: [host], validityDays: 1 })
    const eh = child(edgeHubScript, {
      hubHost, hubMqttPort, edgeDeviceId: EDGE, edgeHubKey, caPem, tls: { key: server.privateKey, cert: server.chain }, host, dir, durability,
      ...(args['upstream-window'] ? { upstreamWindow: Number(args['upstream-window']) } : {}),
    } satisfies EdgeHubProcessConfig, [...NODE_FLAGS, ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])])
    const upstreamEvents: { online: boolean; at: number }[] = []
    eh.proc.on('message', (m: { type: string; online: boolean; at: number }) => void (m.type === 'upstream' && upstreamEvents.push(m)))
    await eh.next('ready')
    pin(eh.proc.pid!, 0)
    await sleep(3000)
    const idleAlone = memMb(eh.proc.pid!)
    const receiver = child('client.ts', moduleClient('receiver', host))
    const sender = child('client.ts', moduleClient('sender', host))
    await Promise.all([receiver.next('ready'), sender.next('ready')])
    for (const c of [receiver, sender]) pin(c.proc.pid!, 1)
    await sleep(3000)
    const idleReport = await eh.ask<{ memory: NodeJS.MemoryUsage; heapSpaces: Record<string, [number, number]> }>({ cmd: 'rss' }, 'rss')
    const m = idleReport.memory
    const idle = {
      ...memMb(eh.proc.pid!), noClients: idleAlone, load: load(),
      heapUsedMb: round1(m.heapUsed / 1024 ** 2), heapTotalMb: round1(m.heapTotal / 1024 ** 2), externalMb: round1(m.external / 1024 ** 2), arrayBuffersMb: round1(m.arrayBuffers / 1024 ** 2),
      heapSpaces: idleReport.heapSpaces,
    }
    log(`edge hub (${durability}) idle: ${JSON.stringify(idle)}`)
    // An edge hub idles for hours: V8 shrinks its heap only after a while without allocation (its memory reducer).
    const settled = SETTLE_SECONDS > 0 ? await settledMemory(eh, 3) : undefined
    const pair = { sender, receiver, broker: eh.proc.pid! }
    const max = await maxPhase(pair)
    log(`edge hub (${durability}) max: ${JSON.stringify(max)}`)
    const half = await ratePhase(pair, Math.round(mosquittoRate / 2))
    log(`edge hub (${durability}) at half Mosquitto's rate: ${JSON.stringify(half)}`)
    const halfOwn = await ratePhase(pair, Math.round(max.msgsPerSec / 2))
    log(`edge hub (${durability}) at half its own max: ${JSON.stringify(halfOwn)}`)
    const settledAfterLoad = SETTLE_SECONDS > 0 ? await settledMemory(eh, 0) : undefined

    // 2. Backlog drain: the hub stopped, N messages stored for $upstream, the hub started again.
    const start = (await rest(th, 'GET', `/events/messages?from=latest&limit=1`)).body.next as number
    await th.close()
    for (const until = Date.now() + 5000; Date.now() < until && upstreamEvents.at(-1)?.online !== false;) await sleep(50)
    const loadDrain = load()
    const stored = await sender.ask<{ acked: number; failed: number; seconds: number }>({ cmd: 'count', n: BACKLOG, window: WINDOW, size: SIZE, topic2: true } satisfies Command)
    log(`stored ${stored.acked} for $upstream in ${stored.seconds.toFixed(2)} s (${Math.round(stored.acked / stored.seconds)} msgs/s), hub offline`)
    const c0 = cpuSeconds(eh.proc.pid!)
    const c0hub = cpuSeconds(process.pid)
    const tStart = now()
    th = await startTestHub({ dataDir: hubDir, bind: hubHost, mqttPort: hubMqttPort })
    const tListening = now()
    let tFirst = NaN
    for (;;) {
      const r = await rest(th, 'GET', `/events/messages?from=${start + BACKLOG - 1}&limit=1`)
      if (Number.isNaN(tFirst)) {
        const f = await rest(th, 'GET', `/events/messages?from=${start}&limit=1`)
        if (f.body.events.length) tFirst = now()
      }
      if (r.body.events.length) break
      if (now() - tStart > 120_000) throw new Error('the backlog did not drain within 120 s')
      await sleep(20)
    }
    const tEnd = now()
    const cpuEdge = cpuSeconds(eh.proc.pid!) - c0
    const cpuHub = cpuSeconds(process.pid) - c0hub
    const tOnline = upstreamEvents.find((e) => e.online && e.at > tStart)?.at ?? NaN
    // Count what arrived: every sequence number once?
    const seqs = new Set<number>()
    let total = 0
    for (let from = start; ;) {
      const page = await rest(th, 'GET', `/events/messages?from=${from}&limit=1000&deviceId=${EDGE}`)
      for (const e of page.body.events) {
        total++
        // The hub gives a body that is valid UTF-8 as text, any other as base64 (a random send time can be either).
        const body = Buffer.from(e.body, e.bodyEncoding === 'utf8' ? 'utf8' : 'base64')
        if (body.length < 16) throw new Error(`an event in the hub is not one of the backlog's: ${JSON.stringify(e)}`)
        seqs.add(body.readDoubleBE(8))
      }
      if (page.body.events.length < 1000) break
      from = page.body.next
    }
    const drain = {
      n: BACKLOG, storedPerSec: Math.round(stored.acked / stored.seconds), storedFailed: stored.failed,
      hubStartMs: Math.round(tListening - tStart), onlineAfterStartMs: Math.round(tOnline - tStart),
      firstAfterStartMs: Math.round(tFirst - tStart), totalMs: Math.round(tEnd - tStart),
      msgsPerSecFromStart: Math.round(BACKLOG / ((tEnd - tStart) / 1000)),
      msgsPerSecFromOnline: Number.isNaN(tOnline) ? NaN : Math.round(BACKLOG / ((tEnd - tOnline) / 1000)),
      eventsInHub: total, unique: seqs.size, cpuEdgeHubS: cpuEdge, cpuHubAndBenchS: cpuHub, load: loadDrain,
    }
    log(`edge hub (${durability}) drain: ${JSON.stringify(drain)}`)

    results[`edgeHub-${durability}`] = { idle, settled, settledAfterLoad, max, half, halfOwn, drain }
    await Promise.all([stopChild(sender, { cmd: 'stop' }), stopChild(receiver, { cmd: 'stop' })])
    await stopChild(eh, { cmd: 'stop' })
  }
  await th.close()
  results.loadAtEnd = load()
} finally {
  await rm(tmp, { recursive: true, force: true })
}

console.log(JSON.stringify(results, null, 2))
process.stderr.write(`\n${summaryTable(results)}\n`)
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n')
