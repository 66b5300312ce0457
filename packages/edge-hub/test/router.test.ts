import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { silentLogger, systemClock, TestClock } from '@ledge/common'
import { messageSourceOf, parseEdgeHubRoutes, type RoutableMessage } from '@ledge/protocol'
import { Router } from '../src/router/router.js'
import type { DeliveryChannel, StreamTarget } from '../src/store/stream-executor.js'
import { openLogMessageStore } from '../src/store/log/log-message-store.js'
import type { MessageStore, QueuedMessage } from '../src/store/message-store.js'

async function withRouter(fn: (r: Router, store: MessageStore, got: Map<string, QueuedMessage[]>, clock: TestClock) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-router-'))
  const clock = new TestClock(1_700_000_000_000)
  const store = await openLogMessageStore({ dir, minFreeDiskBytes: 0, durability: 'os', clock })
  const got = new Map<string, QueuedMessage[]>()
  // A recording target per endpoint, acknowledging at once: the router's part ends at the store, the executor's at
  // the target.
  const recording = (id: string): StreamTarget => ({
    open: async () => ({
      window: 10,
      send: async (m) => void got.set(id, [...(got.get(id) ?? []), m]),
    }),
  })
  // The executor reads the router's clock: expiry is judged on the same time line as the TTLs were set.
  const router = new Router({ store, clock, log: silentLogger(), endpoints: (_sink, id) => ({ target: recording(id), idleMs: 5, clock }) })
  try {
    await fn(router, store, got, clock)
  } finally {
    await router.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

function fromModule(module: string, output: string, properties: Record<string, string>, body: unknown = {}): RoutableMessage {
  // $body conditions need a JSON body declared as such, as in IoT Hub.
  const systemProperties = { connectionDeviceId: 'edge-1', connectionModuleId: module, outputName: output, contentType: 'application/json', contentEncoding: 'utf-8' }
  return { body: Buffer.from(JSON.stringify(body)), systemProperties, properties, source: messageSourceOf(systemProperties) }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > 5000) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const desired = {
  schemaVersion: '1.1',
  routes: {
    hot: { route: "FROM /messages/modules/sensor/outputs/* WHERE alert = 'hot' INTO BrokeredEndpoint(\"/modules/alarm/inputs/hot\")", priority: 0, timeToLiveSecs: 60 },
    all: 'FROM /messages/modules/sensor/outputs/* INTO $upstream',
    body: 'FROM /messages/* WHERE $body.kind = \'frame\' INTO BrokeredEndpoint("/modules/store/inputs/frames")',
  },
  storeAndForwardConfiguration: { timeToLiveSecs: 3600 },
}

describe('Router', () => {
  it('waits for its first configuration before accepting a message', async () => {
    await withRouter(async (router) => {
      let done = false
      const routed = router.route(fromModule('sensor', 'out', { temperature: '40', alert: 'hot' })).then((n) => ((done = true), n))
      await new Promise((r) => setTimeout(r, 30))
      assert.equal(done, false, 'a message was accepted before any route was known')
      await router.configure(parseEdgeHubRoutes(desired))
      assert.equal(await routed, 2)
    })
  })

  it('stores a message once per endpoint its routes reach, with each route priority and TTL, and delivers it', async () => {
    await withRouter(async (router, store, got, clock) => {
      await router.configure(parseEdgeHubRoutes(desired))
      const now = clock.now()
      assert.equal(await router.route(fromModule('sensor', 'out', { temperature: '40', alert: 'hot' })), 2)
      assert.equal(await router.route(fromModule('sensor', 'out', { temperature: '20' })), 1)
      assert.equal(await router.route(fromModule('camera', 'frames', {}, { kind: 'frame' })), 1)
      assert.equal(await router.route(fromModule('camera', 'frames', {}, { kind: 'other' })), 0, 'a message no route takes is dropped')
      await until(() => (got.get('$upstream')?.length ?? 0) === 2 && got.has('/modules/alarm/inputs/hot') && got.has('/modules/store/inputs/frames'), 'deliveries')
      const hot = got.get('/modules/alarm/inputs/hot')!
      assert.equal(hot.length, 1)
      assert.equal(hot[0]!.priority, 0)
      assert.equal(hot[0]!.expiresAt, now + 60_000, 'the route TTL applies')
      const up = got.get('$upstream')!
      assert.equal(up[0]!.priority, 2_000_000_000, 'a route without priority gets the default, the lowest')
      assert.equal(up[0]!.expiresAt, now + 3_600_000, 'the store-and-forward TTL applies without a route TTL')
      assert.deepEqual(up.map((m) => m.message.properties.temperature), ['40', '20'])
      await until(() => store.stats().messages === 0, 'the store to empty once every queue checkpointed')
    })
  })

  it('a message expiring before the route TTL keeps its own expiry', async () => {
    await withRouter(async (router, _store, got, clock) => {
      await router.configure(parseEdgeHubRoutes(desired))
      const m = fromModule('sensor', 'out', { temperature: '20' })
      m.systemProperties.expiryTimeUtc = new Date(clock.now() + 5_000).toISOString()
      await router.route(m)
      await until(() => got.has('$upstream'), 'delivery')
      assert.equal(got.get('$upstream')![0]!.expiresAt, clock.now() + 5_000)
    })
  })

  it('an endpoint that leaves the routes loses its queue; a configuration without schema changes nothing', async () => {
    await withRouter(async (router, store) => {
      await router.configure(parseEdgeHubRoutes({ schemaVersion: '1.0', routes: { a: 'FROM /messages/* INTO BrokeredEndpoint("/modules/nobody/inputs/x")' } }))
      // A recording sink takes everything; stop it from draining by removing the endpoint right after routing.
      await router.route(fromModule('sensor', 'out', {}))
      await router.configure(parseEdgeHubRoutes({ schemaVersion: '1.0', routes: { b: 'FROM /messages/* INTO $upstream' } }))
      assert.deepEqual(store.stats().queues.filter((q) => q.endpointId === '/modules/nobody/inputs/x'), [])
      await router.configure(parseEdgeHubRoutes({ routes: {} }))
      assert.deepEqual(router.currentRoutes.map((r) => r.name), ['b'])
    })
  })

  it('holds the sender of a message to a streamed input that lags far behind, until it catches up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledge-router-'))
    const store = await openLogMessageStore({ dir, minFreeDiskBytes: 0, durability: 'os' })
    // A module that takes 5 messages at a time and acknowledges only when told.
    const acks: (() => void)[] = []
    const channel: DeliveryChannel = { window: 5, send: () => new Promise<void>((resolve) => acks.push(resolve)) }
    const router = new Router({
      store, clock: systemClock, log: silentLogger(),
      endpoints: () => ({ target: { open: async () => channel }, idleMs: 5, hold: { highWater: 20, lowWater: 10, maxHoldMs: 60_000 } }),
    })
    try {
      await router.configure(parseEdgeHubRoutes({ schemaVersion: '1.1', routes: { r: 'FROM /messages/* INTO BrokeredEndpoint("/modules/slow/inputs/in")' } }))
      for (let i = 0; i < 19; i++) await router.route(fromModule('sensor', 'out', { i: String(i) }))
      await until(() => acks.length === 5, 'the window to fill')
      let acknowledged = false
      const routed = router.route(fromModule('sensor', 'out', { i: '19' })).then(() => (acknowledged = true))
      await new Promise((r) => setTimeout(r, 100))
      assert.equal(acknowledged, false, 'the sender waits while 20 are queued for a module that took 5')
      while (!acknowledged) {
        acks.shift()?.()
        await new Promise((r) => setTimeout(r, 5))
      }
      await routed
      const queued = store.stats().queues.find((q) => q.endpointId === '/modules/slow/inputs/in')!.length
      assert.ok(queued <= 10, `released at the low mark (${queued} queued)`)
    } finally {
      for (const ack of acks) ack()
      await router.close()
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
