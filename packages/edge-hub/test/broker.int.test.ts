/**
 * Issue 4 with unmodified SDK clients through a real edge hub and a real hub: routes with conditions deliver module
 * outputs to the right module inputs and upstream; a route that does not parse is reported in `$edgeHub` reported
 * properties and the others still apply; a leaf device sends through the gateway and gets C2D and methods; module
 * twins, cloud methods and module-to-module methods go through the edge hub; the metrics are served.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { cleanupStack, eventually, privilegedPortProblem, requireEnvironment, rest, startTestHub, type TestHub } from '@ledge/testkit'
import { startTestEdgeHub, type TestEdgeHub } from './harness.js'

const require = createRequire(import.meta.url)
const { ModuleClient, Client, Message } = require('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt')

const EDGE = 'edge-broker'

async function setUpDevices(th: TestHub): Promise<Record<string, string>> {
  const keys: Record<string, string> = {}
  const edge = await rest(th, 'PUT', `/devices/${EDGE}`, { deviceId: EDGE, capabilities: { iotEdge: true } })
  assert.equal(edge.status, 200)
  for (const m of ['sender', 'receiver']) {
    const r = await rest(th, 'PUT', `/devices/${EDGE}/modules/${m}`, { deviceId: EDGE, moduleId: m })
    assert.equal(r.status, 200)
    keys[m] = r.body.authentication.symmetricKey.primaryKey
  }
  const leaf = await rest(th, 'PUT', '/devices/leaf-1', { deviceId: 'leaf-1', deviceScope: edge.body.deviceScope })
  assert.equal(leaf.status, 200)
  keys['leaf-1'] = leaf.body.authentication.symmetricKey.primaryKey
  const routes = {
    schemaVersion: '1.1',
    routes: {
      hot: { route: `FROM /messages/modules/sender/outputs/out WHERE kind = 'hot' INTO BrokeredEndpoint("/modules/receiver/inputs/in")`, priority: 0 },
      everything: 'FROM /messages/modules/sender/outputs/* INTO $upstream',
      echoes: 'FROM /messages/modules/receiver/outputs/echo INTO $upstream',
      leaves: 'FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream',
      broken: 'FROM /messages/modules/sender/outputs/out WHERE kind = INTO $upstream',
    },
    storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
  }
  const r = await rest(th, 'PATCH', `/twins/${EDGE}/modules/${encodeURIComponent('$edgeHub')}`, { properties: { desired: routes } })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return keys
}

test('modules and a leaf device through the edge hub: routes, twins, methods, C2D and metrics', { timeout: 120_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  // One clean-up, last in first out: the SDK clients close before the edge hub they talk to, and it before the hub.
  const cleanup = cleanupStack(t)
  const th = await startTestHub()
  cleanup.push(() => th.close())
  const keys = await setUpDevices(th)
  const eh: TestEdgeHub = await startTestEdgeHub(th, EDGE)
  cleanup.push(() => eh.close())

  const sender = ModuleClient.fromConnectionString(eh.connectionString(EDGE, keys.sender!, 'sender'), Mqtt)
  const receiver = ModuleClient.fromConnectionString(eh.connectionString(EDGE, keys.receiver!, 'receiver'), Mqtt)
  const leaf = Client.fromConnectionString(eh.connectionString('leaf-1', keys['leaf-1']!), Mqtt)
  cleanup.push(() => Promise.all([sender.close(), receiver.close(), leaf.close()]))
  await Promise.all([sender.open(), receiver.open(), leaf.open()])

  // The receiver echoes what its input gets, with the original properties and the sender's identity.
  const received: { kind: string; n: string; cdid: string; cmid: string }[] = []
  receiver.on('inputMessage', (input: string, msg: any) => {
    const props = Object.fromEntries(msg.properties.propertyList.map((p: { key: string; value: string }) => [p.key, p.value]))
    // The Node SDK has no fields for the sender: it shows `$.cdid` and `$.cmid` among the properties.
    received.push({ kind: props.kind, n: props.n, cdid: props['$.cdid'], cmid: props['$.cmid'] })
    const echo = new Message(msg.data)
    echo.properties.add('n', props.n)
    echo.properties.add('input', input)
    void receiver.complete(msg).then(() => receiver.sendOutputEvent('echo', echo))
  })

  // 1. Routes with conditions: only 'hot' reaches the receiver's input; everything goes upstream.
  for (let n = 0; n < 6; n++) {
    const m = new Message(JSON.stringify({ n }))
    m.properties.add('kind', n % 2 === 0 ? 'hot' : 'cold')
    m.properties.add('n', String(n))
    await sender.sendOutputEvent('out', m)
  }
  await eventually(async () => (received.length >= 3 ? true : undefined), 15_000, 'three hot messages at the receiver')
  assert.deepEqual(received.map((r) => [r.kind, r.n]), [['hot', '0'], ['hot', '2'], ['hot', '4']])
  assert.deepEqual([received[0]!.cdid, received[0]!.cmid], [EDGE, 'sender'], 'the input carries who sent it')
  const upstream = await eventually(async () => {
    const r = await rest(th, 'GET', `/events/messages?deviceId=${EDGE}&moduleId=sender`)
    return r.body.events.length >= 6 ? r.body.events : undefined
  }, 15_000, 'the sender messages in the hub')
  assert.deepEqual(upstream.map((e: any) => e.properties.n), ['0', '1', '2', '3', '4', '5'], 'upstream in order')
  assert.equal(upstream[0].systemProperties.outputName, 'out')
  const echoes = await eventually(async () => {
    const r = await rest(th, 'GET', `/events/messages?deviceId=${EDGE}&moduleId=receiver`)
    return r.body.events.length >= 3 ? r.body.events : undefined
  }, 15_000, 'the echoes in the hub')
  assert.deepEqual(echoes.map((e: any) => [e.properties.n, e.properties.input]), [['0', 'in'], ['2', 'in'], ['4', 'in']])

  // 2. The route that does not parse is reported; the others applied.
  const reported = await eventually(async () => {
    const r = await rest(th, 'GET', `/twins/${EDGE}/modules/${encodeURIComponent('$edgeHub')}`)
    return r.body.properties.reported.lastDesiredStatus ? r.body.properties.reported : undefined
  }, 10_000, 'the $edgeHub reported properties')
  assert.equal(reported.lastDesiredStatus.code, 400)
  assert.match(reported.routeErrors.broken, /expected/i)
  assert.match(reported.lastDesiredStatus.description, /^broken: /)

  // 3. A leaf device sends through the gateway, and gets C2D and a direct method from the cloud.
  await leaf.sendEvent(new Message(JSON.stringify({ from: 'leaf' })))
  await eventually(async () => {
    const r = await rest(th, 'GET', '/events/messages?deviceId=leaf-1')
    return r.body.events.length >= 1 ? true : undefined
  }, 15_000, 'the leaf telemetry in the hub')
  leaf.onDeviceMethod('blink', (_req: unknown, res: any) => res.send(200, { blinked: true }))
  const c2d = new Promise<string>((resolve) => leaf.on('message', (msg: any) => void leaf.complete(msg).then(() => resolve(msg.data.toString()))))
  await new Promise((r) => setTimeout(r, 500)) // the subscriptions reach the cloud through the edge hub
  const sent = await rest(th, 'POST', '/devices/leaf-1/messages/deviceBound', { text: 'hello leaf' })
  assert.ok(sent.status < 300, JSON.stringify(sent.body))
  assert.deepEqual(JSON.parse(await c2d), { text: 'hello leaf' })
  const blink = await rest(th, 'POST', '/twins/leaf-1/methods', { methodName: 'blink', payload: {}, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 5 })
  assert.deepEqual(blink.body, { status: 200, payload: { blinked: true } })

  // 4. Module twin through the edge hub: read, reported up, desired down.
  const twin = await sender.getTwin()
  // The SDK subscribes to desired patches when the first listener is added; give the subscription time to get
  // through the edge hub to the cloud before the patch is made.
  const desired = new Promise<unknown>((resolve) => twin.on('properties.desired', (d: any) => d.rate !== undefined && resolve(d.rate)))
  await new Promise<void>((resolve, reject) => twin.properties.reported.update({ state: 'ready' }, (err: Error | undefined) => (err ? reject(err) : resolve())))
  await eventually(async () => {
    const r = await rest(th, 'GET', `/twins/${EDGE}/modules/sender`)
    return r.body.properties.reported.state === 'ready' ? true : undefined
  }, 10_000, 'the reported state in the hub')
  await new Promise((r) => setTimeout(r, 300))
  const patched = await rest(th, 'PATCH', `/twins/${EDGE}/modules/sender`, { properties: { desired: { rate: 5 } } })
  assert.equal(patched.status, 200, JSON.stringify(patched.body))
  assert.equal(await desired, 5)

  // 5. Methods: from the cloud to a module, and from one module to another through the gateway's HTTPS endpoint.
  sender.onMethod('status', (_req: unknown, res: any) => res.send(200, { ok: 'sender' }))
  await new Promise((r) => setTimeout(r, 300))
  const cloudCall = await rest(th, 'POST', `/twins/${EDGE}/modules/sender/methods`, { methodName: 'status', payload: {}, responseTimeoutInSeconds: 10 })
  assert.deepEqual(cloudCall.body, { status: 200, payload: { ok: 'sender' } })
  const local = await receiver.invokeMethod(EDGE, 'sender', { methodName: 'status', payload: { from: 'receiver' }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 2 })
  assert.deepEqual(local, { status: 200, payload: { ok: 'sender' } })
  await assert.rejects(
    receiver.invokeMethod(EDGE, 'nobody', { methodName: 'status', payload: {}, responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 0 }),
    (err: Error) => /not ?found/i.test(err.message), // the SDK maps our 404 to its DeviceNotFoundError
  )

  // 6. Metrics with Azure's names.
  const metrics = await (await fetch(`http://${eh.host}:${eh.edge.metricsPort}/metrics`)).text()
  assert.match(metrics, /edgehub_messages_received_total\{[^}]*id="edge-broker\/sender"[^}]*\} 6/)
  assert.match(metrics, /edgehub_messages_sent_total\{[^}]*to="\/modules\/receiver\/inputs\/in"[^}]*\} 3/)
  assert.match(metrics, /edgehub_connected_clients\{[^}]*\} 3/)
  assert.match(metrics, /edgehub_route_messages_total\{route="hot"[^}]*\} 3/)
  assert.match(metrics, /edgehub_queue_length\{endpoint="\$upstream"/)
})
