/**
 * `npm run bench:edge`: the edge runtime's deployment latency and idle footprint (issue 3).
 *
 * A real hub (in this process, on a loopback address of its own with port 443) and the real daemon + agent
 * (`ledge edge start` as a child process, process runtime). It measures, for 2 and 10 modules:
 *   - the time from `POST /devices/{id}/applyConfigurationContent` (what `ledge hub edge set-modules` sends) until
 *     the daemon's management API lists every module running;
 * and, with nothing deployed but the agent, the resident memory (VmRSS) of the daemon and of the agent, next to a
 * bare `node` process doing nothing as the floor any Node.js component starts from.
 *
 *   npm run bench:edge [-- --runs 5] [--from-source]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { request } from 'node:http'
import { LEDGE_BIN as LEDGE } from '@ledge/testkit'
import { reexecWithTestCa } from '../test-ca.js'
import { residentUnionKb, rssKb, ussKb } from './memory.js'

const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5
/** Run the daemon and the agent from their TypeScript sources (through tsx) instead of the build, for comparison. */
const FROM_SOURCE = process.argv.includes('--from-source')
const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)

if (reexecWithTestCa()) process.exit()
const { startTestHub, testCaFiles } = await import('@ledge/testkit')

function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(d))
    } catch { /* gone */ }
  }
  return out
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
  } catch {
    return ''
  }
}

function mgmt(socketPath: string, path: string): Promise<{ modules: { name: string; status: { runtimeStatus: { status: string } } }[] }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: `${path}?api-version=2022-08-03`, method: 'GET' }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c))
      res.on('end', () => {
        try {
          resolve(JSON.parse(body))
        } catch (err) {
          reject(err)
        }
      })
    })
    req.on('error', reject)
    req.end()
  })
}

const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!

function manifest(n: number, round: number): unknown {
  const idle = ['-e', `process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1 << 30) // ${round}`]
  const modules: Record<string, unknown> = {}
  for (let i = 0; i < n; i++) modules[`m${i}`] = { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: process.execPath, args: idle } }
  return {
    modulesContent: {
      $edgeAgent: { 'properties.desired': { schemaVersion: '1.1', runtime: { type: 'process', settings: {} }, systemModules: {
        edgeAgent: { type: 'process', settings: { command: process.execPath } },
        edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: process.execPath, args: idle } },
      }, modules } },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  }
}

const th = await startTestHub()
const dir = await mkdtemp(join(tmpdir(), 'ledge-bench-edge-'))
let daemon: ChildProcess | undefined
try {
  const { createServiceSasToken, parseServiceConnectionString } = await import('@ledge/protocol')
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => fetch(`${th.url}${path}?api-version=2021-04-12`, {
    method, headers: { authorization: createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 3600 }), 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const dev = (await (await call('PUT', '/devices/BenchEdge', { deviceId: 'BenchEdge', capabilities: { iotEdge: true } })).json()) as { authentication: { symmetricKey: { primaryKey: string } } }
  const config = join(dir, 'config.toml')
  const home = join(dir, 'home')
  spawnSync(process.execPath, [LEDGE, 'edge', 'config', 'mp', '--connection-string', `HostName=${th.host};DeviceId=BenchEdge;SharedAccessKey=${dev.authentication.symmetricKey.primaryKey}`,
    '--config', config, '--home-dir', home, '--hub-ca-cert', testCaFiles().certFile, '--mqtt-port', String(th.hub.mqttPort)], { stdio: 'inherit' })
  await writeFile(config, `trust_bundle_cert = "${testCaFiles().certFile}"\n${await readFile(config, 'utf8')}`)
  daemon = spawn(process.execPath, [LEDGE, 'edge', 'start', '--config', config], { env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: testCaFiles().certFile, LEDGE_LOG_LEVEL: 'warn', ...(FROM_SOURCE ? { LEDGE_FROM_SOURCE: '1' } : {}) }, stdio: ['ignore', 'ignore', 'inherit'] })
  const sock = join(home, 'mgmt.sock')
  const waitFor = async (pred: () => Promise<boolean>, ms: number, what: string): Promise<void> => {
    const until = Date.now() + ms
    while (!(await pred().catch(() => false))) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  await waitFor(async () => (await mgmt(sock, '/modules')).modules.some((m) => m.name === 'edgeAgent' && m.status.runtimeStatus.status === 'running'), 60_000, 'the agent')

  // Idle footprint: the agent with nothing deployed, after it settled.
  await new Promise((r) => setTimeout(r, 10_000))
  const agentPid = childrenOf(daemon.pid!).find((p) => /edge-agent/.test(cmdline(p)))
  const floors = [0, 1].map(() => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)']))
  await new Promise((r) => setTimeout(r, 1500))
  const pids = { daemon: daemon.pid!, agent: agentPid ?? NaN }
  const footprint = {
    rss: { daemon: rssKb(pids.daemon), agent: rssKb(pids.agent) },
    uss: { daemon: ussKb(pids.daemon), agent: ussKb(pids.agent) },
    union: residentUnionKb([pids.daemon, pids.agent]),
    bareNode: { rss: rssKb(floors[0]!.pid!), union1: residentUnionKb([floors[0]!.pid!]), union2: residentUnionKb(floors.map((f) => f.pid!)) },
    agentCommand: agentPid ? cmdline(agentPid) : '',
  }
  for (const f of floors) f.kill()

  // Deployment latency.
  const latency: Record<number, number[]> = {}
  let round = 0
  for (const n of [2, 10]) {
    latency[n] = []
    for (let r = 0; r < RUNS; r++) {
      round++
      // Start from nothing but the system modules, so each run creates n modules.
      await call('POST', '/devices/BenchEdge/applyConfigurationContent', manifest(0, round))
      await waitFor(async () => (await mgmt(sock, '/modules')).modules.filter((m) => /^m\d+$/.test(m.name)).length === 0, 60_000, 'the modules to be removed')
      const t0 = performance.now()
      await call('POST', '/devices/BenchEdge/applyConfigurationContent', manifest(n, round))
      await waitFor(async () => (await mgmt(sock, '/modules')).modules.filter((m) => /^m\d+$/.test(m.name) && m.status.runtimeStatus.status === 'running').length === n, 60_000, `${n} modules running`)
      latency[n]!.push(performance.now() - t0)
      log(`${n} modules: ${latency[n]!.at(-1)!.toFixed(0)} ms`)
    }
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const mb = (kb: number | undefined): string => (kb === undefined ? 'n/a (needs root)' : (kb / 1024).toFixed(1))
  const fromBuild = /dist\/edge-agent\.js/.test(footprint.agentCommand)
  const lines = [
    `Machine: ${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; the hub runs in the benchmark process; the daemon and the agent run ${fromBuild ? 'from the build (dist/, plain JavaScript)' : 'from their TypeScript sources through tsx'}.`,
    '',
    '| Measure | Ledge | Reference | Target |',
    '|---|---|---|---|',
    ...[2, 10].map((n) => `| set-modules → ${n} process modules running, median / max of ${RUNS} (ms) | ${percentile(latency[n]!, 50).toFixed(0)} / ${Math.max(...latency[n]!).toFixed(0)} | – | < 2000 |`),
    `| RSS idle: daemon / edge agent (MB) | ${mb(footprint.rss.daemon)} / ${mb(footprint.rss.agent)} | bare \`node\`: ${mb(footprint.bareNode.rss)} | |`,
    `| private memory (USS) idle: daemon / edge agent (MB) | ${mb(footprint.uss.daemon)} / ${mb(footprint.uss.agent)} | | |`,
    `| RSS idle: daemon + agent, sum (MB) | ${mb(footprint.rss.daemon + footprint.rss.agent)} | 2 × bare node: ${mb(2 * footprint.bareNode.rss)} | |`,
    `| resident idle: daemon and agent together, distinct pages (MB) | ${mb(footprint.union)} | 1 bare node: ${mb(footprint.bareNode.union1)}; 2 bare nodes: ${mb(footprint.bareNode.union2)} | < 40 |`,
  ]
  process.stdout.write(lines.join('\n') + '\n')
} finally {
  daemon?.kill('SIGTERM')
  if (daemon) await new Promise((r) => daemon!.once('exit', r))
  await th.close()
  await rm(dir, { recursive: true, force: true })
}

