/**
 * The upstream link against a real hub, checked with the unmodified azure-iothub service client and the hub's REST
 * API: telemetry of modules and leaf devices arrives in order with their ids and properties; twins, desired patches,
 * direct methods and C2D (completed only after `complete()`); token renewal.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestHub, type TestHub } from '@ledge/testkit'
import type { Message } from '@ledge/protocol'
import { Upstream } from '../src/upstream/upstream.js'
import type { UpstreamOptions } from '../src/upstream/types.js'
import { createDeviceScopeCache, type DeviceScopeCache } from '../src/scope/device-scope-cache.js'
import { scopeTokenSource } from '../src/upstream/token-source.js'
import { eventually, hubEvents, iothub, registryOf, rest, setupEdge, sleep, type EdgeSetup } from './upstream-fixture.js'

async function link(th: TestHub, edge: EdgeSetup, extra: Partial<UpstreamOptions> = {}): Promise<{ upstream: Upstream; scope: DeviceScopeCache }> {
  const scope = createDeviceScopeCache({ hubHostname: th.host, edgeDeviceId: 'edge1', tokenSource: edge.edgeHubToken, ca: th.caPem })
  await scope.refresh()
  const upstream = new Upstream({
    hubHostname: th.host, gateway: `${th.host}:${th.hub.mqttPort}`, ca: th.caPem,
    tokenFor: scopeTokenSource({ hubHostname: th.host, edgeDeviceId: 'edge1', edgeHubToken: edge.edgeHubToken, scope }),
    ...extra,
  })
  return { upstream, scope }
}

function message(i: number, extra: Partial<Message['systemProperties']> = {}, props: Record<string, string> = {}): Message {
  return { body: Buffer.from(JSON.stringify({ i })), systemProperties: { messageId: `m-${i}`, ...extra }, properties: { seq: String(i), ...props } }
}

test('upstream: telemetry of a module and a leaf arrives in order, with ids and properties', async () => {
  await using th = await startTestHub()
  const edge = await setupEdge(th)
  const { upstream } = await link(th, edge)
  const statuses: boolean[] = []
  upstream.onStatus((online) => statuses.push(online))
  try {
    const detector = { deviceId: 'edge1', moduleId: 'detector' }
    const expiry = new Date(Date.now() + 3600_000).toISOString()
    const created = new Date(Date.now() - 1000).toISOString()
    const first = message(0, {
      correlationId: 'corr-0', contentType: 'application/json', contentEncoding: 'utf-8', expiryTimeUtc: expiry,
      creationTimeUtc: created, outputName: 'faces', connectionDeviceId: 'edge1', connectionModuleId: 'detector',
      to: '/local/only', enqueuedTimeUtc: created, inputName: 'in1',
    }, { 'alert level': 'hot & humid' })
    const batch = [first, ...Array.from({ length: 49 }, (_, i) => message(i + 1, { connectionDeviceId: 'edge1', connectionModuleId: 'detector' }))]
    assert.deepEqual(await upstream.sendTelemetry(detector, batch), batch.map(() => true))
    assert.equal(upstream.status, 'online')
    assert.deepEqual(statuses, [true])

    const leafResults = await upstream.sendTelemetry({ deviceId: 'leaf1' }, [message(100, { connectionDeviceId: 'leaf1' }), message(101)])
    assert.deepEqual(leafResults, [true, true])

    const events = await hubEvents(th, 'edge1', 'detector')
    assert.deepEqual(events.map((e) => e.properties.seq), batch.map((_, i) => String(i)), 'in order')
    const e0 = events[0]!
    assert.equal(e0.deviceId, 'edge1')
    assert.equal(e0.moduleId, 'detector')
    assert.deepEqual(e0.body, { i: 0 })
    assert.equal(e0.properties['alert level'], 'hot & humid')
    const sp = e0.systemProperties
    assert.equal(sp.messageId, 'm-0')
    assert.equal(sp.correlationId, 'corr-0')
    assert.equal(sp.contentType, 'application/json')
    assert.equal(sp.contentEncoding, 'utf-8')
    assert.equal(sp.expiryTimeUtc, expiry)
    assert.equal(sp.creationTimeUtc, created)
    assert.equal(sp.outputName, 'faces')
    assert.equal(sp.connectionDeviceId, 'edge1')
    assert.equal(sp.connectionModuleId, 'detector')
    assert.equal(sp.to, undefined, 'local-hop properties stay behind')
    assert.equal(sp.inputName, undefined)

    const leafEvents = await hubEvents(th, 'leaf1')
    assert.deepEqual(leafEvents.map((e) => [e.deviceId, e.moduleId, e.systemProperties.connectionDeviceId, e.systemProperties.messageId]), [['leaf1', null, 'leaf1', 'm-100'], ['leaf1', null, 'leaf1', 'm-101']])

    // Over IoT Hub's 256 KB: never sent (the hub would close the connection), the rest goes on.
    const big: Message = { body: Buffer.alloc(256 * 1024), systemProperties: {}, properties: {} }
    assert.deepEqual(await upstream.sendTelemetryResults({ deviceId: 'leaf1' }, [message(102), big, message(103)]), ['sent', 'too_large', 'sent'])
    assert.deepEqual(upstream.identities().map((i) => i.moduleId ?? i.deviceId).sort(), ['detector', 'leaf1'])

    // Presence in the hub: the leaf connected as itself.
    const leafTwin = (await registryOf(th).getTwin('leaf1')).responseBody as unknown as { connectionState: string }
    assert.equal(leafTwin.connectionState, 'Connected')
    await upstream.release({ deviceId: 'leaf1' })
    assert.deepEqual(upstream.identities().map((i) => i.moduleId ?? i.deviceId), ['detector'])
  } finally {
    await upstream.close()
  }
})

test('upstream: twin, desired patches and direct methods of a module', async () => {
  await using th = await startTestHub()
  const edge = await setupEdge(th)
  const { upstream } = await link(th, edge)
  const detector = { deviceId: 'edge1', moduleId: 'detector' }
  const registry = registryOf(th)
  try {
    const version = await upstream.patchReported(detector, { model: 'tiny', fps: 5 })
    assert.ok(version >= 2)
    const twin = await upstream.getTwin(detector)
    assert.equal(twin.reported.model, 'tiny')
    assert.equal((await registry.getModuleTwin('edge1', 'detector')).responseBody.properties.reported.fps, 5)

    const patches: Record<string, unknown>[] = []
    const stop = upstream.onDesired(detector, (p) => patches.push(p))
    await sleep(300) // the SUBSCRIBE reaches the hub
    await registry.updateModuleTwin('edge1', 'detector', { properties: { desired: { threshold: 0.7 } } }, '*')
    const patch = await eventually(() => patches[0], 10_000, 'desired patch')
    assert.equal(patch.threshold, 0.7)
    assert.equal(typeof patch.$version, 'number')
    assert.equal((await upstream.getTwin(detector)).desired.threshold, 0.7)
    stop()

    const calls: string[] = []
    upstream.onMethod(detector, async (call) => {
      calls.push(`${call.name}:${call.payload.toString()}`)
      return { status: 201, payload: Buffer.from(JSON.stringify({ ok: true, got: JSON.parse(call.payload.toString()) })) }
    })
    const service = iothub.Client.fromConnectionString(th.serviceConnectionString)
    const r = await eventually(async () => {
      try {
        return await service.invokeDeviceMethod('edge1', 'detector', { methodName: 'reboot', payload: { delay: 3 }, responseTimeoutInSeconds: 5 })
      } catch {
        return undefined
      }
    }, 10_000, 'method call')
    assert.equal(r.result.status, 201)
    assert.deepEqual(r.result.payload, { ok: true, got: { delay: 3 } })
    assert.deepEqual(calls, ['reboot:{"delay":3}'])

    // A handler that throws answers 500.
    upstream.onMethod(detector, async () => {
      throw new Error('camera unplugged')
    })
    const failed = await service.invokeDeviceMethod('edge1', 'detector', { methodName: 'reboot', payload: {}, responseTimeoutInSeconds: 5 })
    assert.equal(failed.result.status, 500)
    assert.deepEqual(failed.result.payload, { message: 'camera unplugged' })

    // Twin errors come back as errors.
    await assert.rejects(upstream.patchReported(detector, { bad: 'x'.repeat(40 * 1024) }), /the hub answered/)
  } finally {
    await upstream.close()
  }
})

test('upstream: C2D to a leaf is completed only after complete()', async () => {
  await using th = await startTestHub()
  const edge = await setupEdge(th)
  const { upstream } = await link(th, edge)
  const registry = registryOf(th)
  const queued = async (): Promise<number> => Number((await registry.get('leaf1')).responseBody.cloudToDeviceMessageCount ?? -1)
  try {
    const received: { message: Message; complete: () => void }[] = []
    upstream.onC2d({ deviceId: 'leaf1' }, (message, complete) => received.push({ message, complete }))
    for (const id of ['c2d-1', 'c2d-2']) {
      const r = await rest(th, 'POST', '/devices/leaf1/messages/deviceBound?api-version=2021-04-12', 'open the door', undefined, { 'iothub-messageid': id, 'iothub-app-color': 'red', 'content-type': 'text/plain' })
      assert.ok(r.status < 300, JSON.stringify(r.body))
    }
    await eventually(() => (received.length === 2 ? true : undefined), 10_000, 'two C2D messages')
    assert.equal(received[0]!.message.body.toString(), 'open the door')
    assert.equal(received[0]!.message.systemProperties.messageId, 'c2d-1')
    assert.equal(received[0]!.message.properties.color, 'red')
    assert.equal(received[1]!.message.systemProperties.messageId, 'c2d-2')

    // Not completed: still queued in the hub, while twin traffic on the same connection goes on.
    await upstream.patchReported({ deviceId: 'leaf1' }, { door: 'closed' })
    await sleep(300)
    assert.equal(await queued(), 2)
    received[0]!.complete()
    await eventually(async () => ((await queued()) === 1 ? true : undefined), 5000, 'first C2D completed')
    received[1]!.complete()
    await eventually(async () => ((await queued()) === 0 ? true : undefined), 5000, 'second C2D completed')

    // A message not completed before its connection goes is delivered again.
    await rest(th, 'POST', '/devices/leaf1/messages/deviceBound?api-version=2021-04-12', 'again', undefined, { 'iothub-messageid': 'c2d-3' })
    await eventually(() => (received.length === 3 ? true : undefined), 5000, 'third C2D message')
    await upstream.release({ deviceId: 'leaf1' })
    const again: Message[] = []
    upstream.onC2d({ deviceId: 'leaf1' }, (message, complete) => {
      again.push(message)
      complete()
    })
    await eventually(() => (again.length === 1 ? true : undefined), 10_000, 'redelivery')
    assert.equal(again[0]!.systemProperties.messageId, 'c2d-3')
    await eventually(async () => ((await queued()) === 0 ? true : undefined), 5000, 'redelivered C2D completed')
  } finally {
    await upstream.close()
  }
})

test('upstream: the token is renewed by reconnecting, and the session goes on', async () => {
  await using th = await startTestHub()
  const edge = await setupEdge(th)
  const tokens: number[] = []
  const detector = { deviceId: 'edge1', moduleId: 'detector' }
  const upstream = new Upstream({
    hubHostname: th.host, gateway: `${th.host}:${th.hub.mqttPort}`, ca: th.caPem, renewAt: 0.5,
    tokenFor: async (id) => {
      tokens.push(Date.now())
      return edge.tokenOf(id.deviceId, id.moduleId, 3) // 3 s tokens: renewed every 1.5 s
    },
  })
  const connects: string[] = []
  upstream.onConnection((e) => connects.push(e.state))
  try {
    const patches: Record<string, unknown>[] = []
    upstream.onDesired(detector, (p) => patches.push(p))
    assert.deepEqual(await upstream.sendTelemetry(detector, [message(1)]), [true])
    await sleep(4000) // past the first token's expiry
    assert.ok(tokens.length >= 3, `renewed: ${tokens.length} tokens`)
    // Every token but one being used right now made a connection; none was refused or seen as a drop.
    assert.ok(connects.filter((s) => s === 'connected').length >= tokens.length - 1, connects.join(','))
    assert.ok(!connects.includes('refused') && !connects.includes('disconnected'), connects.join(','))
    assert.deepEqual(await upstream.sendTelemetry(detector, [message(2), message(3)]), [true, true])
    await registryOf(th).updateModuleTwin('edge1', 'detector', { properties: { desired: { after: 'renewal' } } }, '*')
    await eventually(() => patches.find((p) => p.after === 'renewal'), 5000, 'desired patch after renewal')
    assert.equal((await upstream.getTwin(detector)).desired.after, 'renewal')
    assert.deepEqual((await hubEvents(th, 'edge1', 'detector')).map((e) => e.properties.seq), ['1', '2', '3'])
  } finally {
    await upstream.close()
  }
})
