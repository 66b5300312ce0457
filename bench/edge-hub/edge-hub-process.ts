/**
 * The edge hub of bench/edge-hub in a process of its own, composed as src/main.ts composes it (main.ts itself needs
 * the daemon's workload API): the device scope and the upstream link to the test hub, the message store in `dir` with
 * the given durability, the broker on `host`:8883 (and 443). The orchestrator gives it the CA and a server certificate
 * (where main.ts asks the workload API), so this process loads no more than main.ts does: no test kit, no PKI.
 * run.ts runs it bundled like dist/edge-hub.js (bundle.ts), or through tsx with `--from-source`.
 *
 * It talks to its parent over IPC: `{ type: 'ready', mqttPort }` once listening; `{ type: 'upstream', online, at }`
 * on each change of the upstream link; on `{ cmd: 'rss' }` it answers `process.memoryUsage()`, the V8 heap by space and
 * the store's stats; on `{ cmd: 'stop' }` it closes everything and exits (so `--cpu-prof` writes its profile). With
 * `LEDGE_BENCH_TRACE=1` it prints, every 500 ms, the event loop's delay (p50, p99, max), each endpoint's counters
 * (sent, senders held by back-pressure) and each queue's length and checkpoint, and on stderr each GC its idle heap
 * trim asks for.
 */
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'
import { createLogger, silentLogger, trimHeapWhenIdle } from '@ledge/common'
import { createIdentitySasToken } from '@ledge/protocol'
import { startEdgeHub } from '../../packages/edge-hub/src/edge-hub.js'
import { createDeviceScopeCache } from '../../packages/edge-hub/src/scope/device-scope-cache.js'
import { scopeAuthenticator } from '../../packages/edge-hub/src/scope/scope-authenticator.js'
import { openMessageStore } from '../../packages/edge-hub/src/store/open-message-store.js'
import type { Durability } from '../../packages/edge-hub/src/store/message-store.js'
import { scopeTokenSource } from '../../packages/edge-hub/src/upstream/token-source.js'
import { Upstream } from '../../packages/edge-hub/src/upstream/upstream.js'
import { upstreamTarget } from '../../packages/edge-hub/src/upstream/upstream-target.js'

export interface EdgeHubProcessConfig {
  hubHost: string
  hubMqttPort: number
  edgeDeviceId: string
  edgeHubKey: string
  /** The test CA (PEM): trusted for the hub, and the issuer of `tls`. */
  caPem: string
  /** The broker's server certificate for `host` (PEM chain) and its key. */
  tls: { key: string; cert: string }
  host: string
  dir: string
  durability: Durability
  /** PUBLISHes to the hub unacknowledged at once (upstreamTarget's window); default its own. */
  upstreamWindow?: number
}

const cfg = JSON.parse(process.argv[2]!) as EdgeHubProcessConfig
const send = (m: unknown): void => void process.send!(m)
const mb = (bytes: number): number => Math.round(bytes / 1024 ** 2 * 10) / 10
const ms = (ns: number): string => (ns / 1e6).toFixed(1)
const log = process.env.LEDGE_BENCH_LOG ? createLogger({ name: 'bench-edge-hub', level: process.env.LEDGE_BENCH_LOG }) : silentLogger()

// As main.ts: a minor GC once the process is quiet after a burst, so V8 gives the grown young generation back.
const heapTrim = trimHeapWhenIdle({
  onTrim: (before, after, shrunk) => {
    if (process.env.LEDGE_BENCH_TRACE) process.stderr.write(`heap trim: young generation ${mb(before.sizeBytes)} → ${mb(after.sizeBytes)} MB${shrunk ? ', then a full GC' : ''}\n`)
  },
})
const caPem = cfg.caPem
const ownToken = async (): Promise<string> =>
  createIdentitySasToken({ hostName: cfg.hubHost, deviceId: cfg.edgeDeviceId, moduleId: '$edgeHub', keyBase64: cfg.edgeHubKey, expiresAt: Date.now() / 1000 + 3600 })
const scope = createDeviceScopeCache({ hubHostname: cfg.hubHost, edgeDeviceId: cfg.edgeDeviceId, tokenSource: ownToken, ca: caPem, file: join(cfg.dir, 'scope.json'), logger: log })
await scope.start()
const upstream = new Upstream({
  hubHostname: cfg.hubHost, gateway: `${cfg.hubHost}:${cfg.hubMqttPort}`, ca: caPem, logger: log, transport: 'mqtts',
  // As the test harness: retry quickly, so the drain measurement is not mostly back-off.
  backoff: { initialMs: 200, maxMs: 1000, jitter: 0.5 },
  tokenFor: scopeTokenSource({ hubHostname: cfg.hubHost, edgeDeviceId: cfg.edgeDeviceId, edgeHubToken: ownToken, scope }),
})
upstream.onStatus((online) => send({ type: 'upstream', online, at: performance.timeOrigin + performance.now() }))
const store = await openMessageStore({ dir: join(cfg.dir, 'store'), durability: cfg.durability, logger: log })
const edge = await startEdgeHub({
  iothubHostname: cfg.hubHost, edgeDeviceId: cfg.edgeDeviceId, bind: cfg.host, mqttPort: 8883, httpsPort: 443, stateDir: cfg.dir,
  tls: cfg.tls, store, cloud: upstream, auth: scopeAuthenticator(scope),
  upstreamTarget: upstreamTarget(upstream, cfg.upstreamWindow ? { window: cfg.upstreamWindow } : {}), moduleWaitMs: 1000, log,
})

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'rss') {
    const s = store.stats()
    // The V8 heap by space (MB committed / used): where the heap's committed memory beyond what is used sits.
    const heapSpaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, [mb(x.space_size), mb(x.space_used_size)]]))
    send({ type: 'rss', memory: process.memoryUsage(), heapSpaces, store: { messages: s.messages, queues: s.queues } })
  } else if (m.cmd === 'stop') {
    heapTrim.stop()
    void (async () => {
      await edge.close()
      await upstream.close()
      await scope.stop()
      await store.close()
      process.exit(0)
    })()
  }
})
if (process.env.LEDGE_BENCH_TRACE) {
  // Event-loop delay: how long a ready callback waited for the loop (GC pauses and long turns), per interval.
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  setInterval(() => {
    const q = store.stats().queues.map((x) => `${x.endpointId}:${x.length}@${x.checkpoint}`).join(' ')
    const loop = `loop p50/p99/max ${ms(delay.percentile(50))}/${ms(delay.percentile(99))}/${ms(delay.max)} ms`
    delay.reset()
    process.stderr.write(`trace ${new Date().toISOString().slice(14, 23)} ${loop} ${JSON.stringify(edge.router.endpointStats())} ${q}\n`)
  }, 500).unref()
}
send({ type: 'ready', mqttPort: edge.mqttPort })
