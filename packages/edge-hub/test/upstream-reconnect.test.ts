/**
 * The upstream link when the hub goes away and comes back (the testkit hub restarted on the same data folder and
 * addresses), the WebSocket fallback, and the `$upstream` stream target against a real hub.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { startTestHub } from '@ledge/testkit'
import type { Message } from '@ledge/protocol'
import { Upstream } from '../src/upstream/upstream.js'
import { upstreamTarget } from '../src/upstream/upstream-target.js'
import type { QueuedMessage } from '../src/store/message-store.js'
import { eventually, hubEvents, setupEdge, sleep } from './upstream-fixture.js'

const detector = { deviceId: 'edge1', moduleId: 'detector' }

function message(i: number, sender?: { deviceId: string; moduleId?: string }): Message {
  return {
    body: Buffer.from(`{"i":${i}}`),
    systemProperties: { messageId: `m-${i}`, ...(sender ? { connectionDeviceId: sender.deviceId, ...(sender.moduleId ? { connectionModuleId: sender.moduleId } : {}) } : {}) },
    properties: { seq: String(i) },
  }
}

test('upstream: hub stopped ⇒ sends fail fast, reconnection backs off, works again after the restart', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ledge-hub-restart-'))
  try {
    let th = await startTestHub({ dataDir })
    const edge = await setupEdge(th)
    const host = th.host
    const mqttPort = th.hub.mqttPort
    let attempts = 0
    const upstream = new Upstream({
      hubHostname: host, gateway: `${host}:${mqttPort}`, ca: th.caPem, transport: 'mqtts',
      backoff: { initialMs: 200, maxMs: 1500, jitter: 0.5 },
      tokenFor: async (id) => {
        attempts++
        return edge.tokenOf(id.deviceId, id.moduleId)
      },
    })
    const statuses: boolean[] = []
    upstream.onStatus((online) => statuses.push(online))
    try {
      assert.deepEqual(await upstream.sendTelemetry(detector, [message(1)]), [true])
      await th.close()
      await eventually(() => (upstream.status === 'offline' ? true : undefined), 5000, 'offline')
      assert.deepEqual(statuses, [true, false])

      // Down: every send fails at once, nothing waits for the hub.
      const started = Date.now()
      for (let i = 0; i < 5; i++) assert.deepEqual(await upstream.sendTelemetryResults(detector, [message(10 + i), message(20 + i)]), ['offline', 'offline'])
      assert.ok(Date.now() - started < 1500, `failed fast: ${Date.now() - started} ms`)

      // Back-off: a few attempts over 3 s, not a tight loop.
      const before = attempts
      await sleep(3000)
      const during = attempts - before
      assert.ok(during >= 2 && during <= 8, `${during} attempts in 3 s`)

      th = await startTestHub({ dataDir, bind: host, mqttPort })
      await eventually(async () => ((await upstream.sendTelemetry(detector, [message(2)]))[0] ? true : undefined), 15_000, 'a send after the restart')
      assert.equal(upstream.status, 'online')
      assert.deepEqual(statuses, [true, false, true])
      assert.deepEqual(await upstream.sendTelemetry(detector, [message(3), message(4)]), [true, true])
      const seqs = (await hubEvents(th, 'edge1', 'detector')).map((e) => e.properties.seq)
      assert.deepEqual(seqs, ['1', '2', '3', '4'])
    } finally {
      await upstream.close()
      await th.close()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('upstream: falls back to MQTT over WebSockets when MQTT over TLS cannot connect', async () => {
  await using th = await startTestHub()
  const edge = await setupEdge(th)
  // A port on the hub's address where nothing listens: MQTT over TLS is refused; 443 serves WebSockets.
  const closed = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, th.host, () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(port))
    })
  })
  const upstream = new Upstream({
    hubHostname: th.host, gateway: `${th.host}:${closed}`, ca: th.caPem, fallbackAfter: 2,
    backoff: { initialMs: 50, maxMs: 200 },
    tokenFor: async (id) => edge.tokenOf(id.deviceId, id.moduleId),
  })
  try {
    assert.equal(upstream.activeTransport, 'mqtts')
    await eventually(async () => ((await upstream.sendTelemetry(detector, [message(1)]))[0] ? true : undefined), 10_000, 'a send over WebSockets')
    assert.equal(upstream.activeTransport, 'wss')
    assert.deepEqual((await hubEvents(th, 'edge1', 'detector')).map((e) => e.properties.seq), ['1'])
    assert.deepEqual(Object.keys(await upstream.getTwin(detector)).sort(), ['desired', 'reported'])
  } finally {
    await upstream.close()
  }
})

test('upstream target: each message on its sender\'s connection, in order; refused for no sender and too large; failed while offline', async () => {
  await using th = await startTestHub()
  const edge = await setupEdge(th)
  const upstream = new Upstream({ hubHostname: th.host, gateway: `${th.host}:${th.hub.mqttPort}`, ca: th.caPem, tokenFor: async (id) => edge.tokenOf(id.deviceId, id.moduleId) })
  const target = upstreamTarget(upstream)
  const q = (offset: number, m: Message): QueuedMessage => ({ offset, endpointId: '$upstream', priority: 0, enqueuedAt: Date.now(), expiresAt: Date.now() + 60_000, message: m })
  /** Sends on one channel, all at once (the stream executor keeps a window in flight): each one's outcome. */
  const send = async (batch: QueuedMessage[]): Promise<string[]> => {
    const ch = (await target.open())!
    return Promise.all(batch.map((m) => ch.send(m).then((r) => r ?? 'sent', () => 'failed')))
  }
  const leaf = { deviceId: 'leaf1' }
  try {
    const big = message(99, leaf)
    big.body = Buffer.alloc(300 * 1024)
    const r = await send([q(1, message(1, detector)), q(2, message(2, leaf)), q(3, message(3, detector)), q(4, message(4)), q(5, big), q(6, message(6, leaf))])
    assert.deepEqual(r, ['sent', 'sent', 'sent', 'refused', 'refused', 'sent'])
    assert.deepEqual((await hubEvents(th, 'edge1', 'detector')).map((e) => e.properties.seq), ['1', '3'])
    const leafEvents = await hubEvents(th, 'leaf1')
    assert.deepEqual(leafEvents.map((e) => [e.properties.seq, e.systemProperties.connectionDeviceId]), [['2', 'leaf1'], ['6', 'leaf1']])

    await th.hub.close()
    await eventually(() => (upstream.status === 'offline' ? true : undefined), 5000, 'offline')
    assert.deepEqual(await send([q(7, message(7, detector)), q(8, message(8, leaf))]), ['failed', 'failed'])
  } finally {
    await upstream.close()
  }
})
