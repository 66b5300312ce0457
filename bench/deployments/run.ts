/**
 * `node --import tsx bench/deployments/run.ts [--n 1000] [--others 0] [--concurrency 20]`: how long an automatic
 * deployment takes to reach the module twins of N targeted edge devices.
 *
 * A real hub (the testkit's: in this process, SQLite in a temp folder, HTTPS on its own loopback address). N edge
 * devices tagged `env=bench` (and `--others` edge devices tagged `env=other`, which the condition must skip) are
 * created through REST. Then, each timed from the PUT /configurations request until every targeted device's
 * `$edgeAgent` desired properties hold the deployment (polled through GET /configurations/{id}'s appliedCount,
 * then checked twin by twin over REST):
 *   1. a base deployment (`tags.env='bench'`);
 *   2. a layered deployment adding a module on top of it on every targeted device;
 *   3. retagging 100 devices out of the target (time until the base's targetedCount drops by 100).
 * The Node process trusts the test CA through NODE_EXTRA_CA_CERTS: the script runs itself again with it set.
 */
import { parseArgs } from 'node:util'
import { reexecWithTestCa } from '../test-ca.js'
import { rest, startTestHub, type TestHub } from '@ledge/testkit'


const mod = (script: string) => ({ version: '1.0', type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node', args: [script] } })
const base = {
  modulesContent: {
    $edgeAgent: { 'properties.desired': {
      schemaVersion: '1.1', runtime: { type: 'process', settings: {} },
      systemModules: { edgeAgent: { type: 'process', settings: { command: 'node' } }, edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } } },
      modules: { camera: mod('camera.js') },
    } },
    $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: { up: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
  },
}
const layer = { modulesContent: { $edgeAgent: { 'properties.desired.modules.logger': mod('logger.js') } } }

async function parallel<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!)
  }))
}

async function check(res: { status: number; body: unknown }, what: string): Promise<unknown> {
  if (res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

async function waitForMetric(th: TestHub, id: string, metric: string, value: number, t0: number): Promise<number> {
  for (;;) {
    const c = (await check(await rest(th, 'GET', `/configurations/${id}`), 'get configuration')) as { systemMetrics: { results: Record<string, number> } }
    if (c.systemMetrics.results[metric] === value) return performance.now() - t0
    if (performance.now() - t0 > 600_000) throw new Error(`${id}: ${metric} stayed at ${c.systemMetrics.results[metric]}, not ${value}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '1000' }, others: { type: 'string', default: '0' }, concurrency: { type: 'string', default: '20' } } })
  const n = Number(values.n)
  const others = Number(values.others)
  const concurrency = Number(values.concurrency)
  await using th = await startTestHub()
  const targeted = Array.from({ length: n }, (_, i) => `bench-${String(i).padStart(5, '0')}`)
  const skipped = Array.from({ length: others }, (_, i) => `other-${String(i).padStart(5, '0')}`)
  const t0 = performance.now()
  await parallel([...targeted, ...skipped], concurrency, async (d) => {
    await check(await rest(th, 'PUT', `/devices/${d}`, { deviceId: d, capabilities: { iotEdge: true } }), `create ${d}`)
    await check(await rest(th, 'PATCH', `/twins/${d}`, { tags: { env: d.startsWith('bench') ? 'bench' : 'other' } }), `tag ${d}`)
  })
  const setup = performance.now() - t0

  const t1 = performance.now()
  await check(await rest(th, 'PUT', '/configurations/bench-base', { id: 'bench-base', content: base, targetCondition: "tags.env='bench'", priority: 10 }), 'create base')
  const baseAck = performance.now() - t1
  const baseApplied = await waitForMetric(th, 'bench-base', 'appliedCount', n, t1)

  // Every twin, checked over REST (not timed): the metric and the twins agree.
  await parallel(targeted, concurrency, async (d) => {
    const twin = (await check(await rest(th, 'GET', `/twins/${d}/modules/$edgeAgent`), 'twin')) as { properties: { desired: { modules?: Record<string, unknown> } } }
    if (!twin.properties.desired.modules?.camera) throw new Error(`${d}: the deployment did not reach its $edgeAgent twin`)
  })

  const t2 = performance.now()
  await check(await rest(th, 'PUT', '/configurations/bench-layer', { id: 'bench-layer', content: layer, targetCondition: "tags.env='bench'", priority: 1 }), 'create layer')
  const layerApplied = await waitForMetric(th, 'bench-layer', 'appliedCount', n, t2)

  const moved = targeted.slice(0, Math.min(100, n))
  const t3 = performance.now()
  await parallel(moved, concurrency, async (d) => { await check(await rest(th, 'PATCH', `/twins/${d}`, { tags: { env: 'other' } }), `retag ${d}`) })
  const retagWrites = performance.now() - t3
  const retagApplied = await waitForMetric(th, 'bench-base', 'targetedCount', n - moved.length, t3)

  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  process.stdout.write(
    `deployments: ${n} targeted edge devices, ${others} others (hub in this process, SQLite, REST over HTTPS)\n` +
    `  setup: ${n + others} devices created and tagged in ${s(setup)}\n` +
    `  base deployment: PUT answered in ${s(baseAck)}; all ${n} $edgeAgent twins written in ${s(baseApplied)} (${(n / (baseApplied / 1000)).toFixed(0)} devices/s)\n` +
    `  layered deployment on top: all ${n} in ${s(layerApplied)}\n` +
    `  retag ${moved.length} devices out of the target: ${s(retagWrites)} for the twin PATCHes, targetedCount updated after ${s(retagApplied)}\n`,
  )
}

if (!reexecWithTestCa()) await main()
