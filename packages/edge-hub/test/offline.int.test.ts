/**
 * Issue 4's offline acceptance, with unmodified SDK clients and a real hub: with the hub stopped, 10,000 messages are
 * accepted by the edge hub, survive a `kill -9` of it, and all reach the hub in order once both are back; messages
 * whose route TTL passed meanwhile are never sent; a client authenticates against the cached device scope while the
 * hub is down. A full store quota refuses new messages and loses none it accepted.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanupStack, eventually, freeLoopbackAddress, privilegedPortProblem, requireEnvironment, rest, startTestHub, type TestHub } from '@ledge/testkit'
import { edgeConnectionString, edgeHubKeyOf, startTestEdgeHub } from './harness.js'

const require = createRequire(import.meta.url)
const { ModuleClient, Message } = require('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt')

const CHILD = fileURLToPath(new URL('./fixtures/edge-hub-child.ts', import.meta.url))

async function setUp(th: TestHub, edge: string, routes: Record<string, unknown>): Promise<string> {
  assert.equal((await rest(th, 'PUT', `/devices/${edge}`, { deviceId: edge, capabilities: { iotEdge: true } })).status, 200)
  const m = await rest(th, 'PUT', `/devices/${edge}/modules/sender`, { deviceId: edge, moduleId: 'sender' })
  const r = await rest(th, 'PATCH', `/twins/${edge}/modules/${encodeURIComponent('$edgeHub')}`, { properties: { desired: { schemaVersion: '1.1', routes, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } } })
  assert.equal(r.status, 200)
  return m.body.authentication.symmetricKey.primaryKey as string
}

/** Every event of one module in the hub, oldest first. */
async function allEvents(th: TestHub, deviceId: string, moduleId: string): Promise<any[]> {
  const out: any[] = []
  for (let from = 0; ; ) {
    const r = await rest(th, 'GET', `/events/messages?deviceId=${deviceId}&moduleId=${moduleId}&from=${from}&limit=1000`)
    out.push(...r.body.events)
    if (r.body.next === from) return out
    from = r.body.next
  }
}

function startChild(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('ready')) resolve(child)
    })
    child.on('exit', (code) => reject(new Error(`the edge hub process exited with ${code} before it was ready`)))
  })
}

/** What `p` resolves to, or `otherwise` after `ms`; the timer does not outlive the race (it would keep the process up). */
async function within<T>(p: Promise<T>, ms: number, otherwise: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<T>((r) => { timer = setTimeout(() => r(otherwise), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

/** SIGKILL, and wait for the exit (its pipes close with it). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

async function sendAll(client: any, output: string, from: number, count: number, concurrency = 100): Promise<void> {
  let next = from
  const worker = async (): Promise<void> => {
    while (next < from + count) {
      const seq = next++
      const m = new Message(JSON.stringify({ seq }))
      m.properties.add('seq', String(seq))
      await client.sendOutputEvent(output, m)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

test('10,000 messages with the hub down survive kill -9 of the edge hub and reach the hub in order; expired ones never', { timeout: 300_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  // One clean-up, last in first out: the SDK client closes before the edge hub it talks to, the edge hub stops before
  // the hub, the folders go last.
  const cleanup = cleanupStack(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'ledge-offline-hub-'))
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }))
  const dir = await mkdtemp(join(tmpdir(), 'ledge-offline-edge-'))
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  let th: TestHub | undefined = await startTestHub({ dataDir, keepDataDir: true })
  const hubHost = th.host
  const hubMqttPort = th.hub.mqttPort
  cleanup.push(() => th?.close())
  const edge = 'edge-offline'
  const key = await setUp(th, edge, {
    up: 'FROM /messages/modules/sender/outputs/out INTO $upstream',
    short: { route: 'FROM /messages/modules/sender/outputs/short INTO $upstream', priority: 0, timeToLiveSecs: 2 },
  })
  const host = await freeLoopbackAddress(8883)
  const env = {
    LEDGE_T_HUB_HOST: hubHost, LEDGE_T_HUB_MQTT_PORT: String(hubMqttPort), LEDGE_T_CA_PEM: th.caPem, LEDGE_T_EDGE_ID: edge,
    LEDGE_T_EDGEHUB_KEY: await edgeHubKeyOf(th, edge), LEDGE_T_HOST: host, LEDGE_T_DIR: dir,
  }
  let child = await startChild(env)
  cleanup.push(() => stopChild(child))
  const sender = ModuleClient.fromConnectionString(edgeConnectionString(hubHost, host, edge, key, 'sender'), Mqtt)
  cleanup.push(() => sender.close())
  await sender.open()
  // The edge hub has its routes and the device scope cached once this first message is in the hub.
  await sendAll(sender, 'out', 0, 1, 1)
  await eventually(async () => ((await allEvents(th!, edge, 'sender')).length === 1 ? true : undefined), 15_000, 'the first message in the hub')

  // The hub goes away; the edge hub accepts everything.
  await th.close()
  th = undefined
  await sendAll(sender, 'out', 1, 9_999)
  await sendAll(sender, 'short', 0, 5, 5)

  // kill -9 the edge hub; it comes back (from its files: routes, scope, store) while the hub is still down, and the
  // client authenticates against the cached scope.
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  child = await startChild(env)
  await sendAll(sender, 'out', 10_000, 10, 5)
  await new Promise((r) => setTimeout(r, 2500)) // the 'short' route's 2 s TTL passes while the hub is down

  th = await startTestHub({ dataDir, keepDataDir: true, bind: hubHost, mqttPort: hubMqttPort })
  const events = await eventually(async () => {
    const all = await allEvents(th!, edge, 'sender')
    return all.length >= 10_010 ? all : undefined
  }, 120_000, '10,010 messages in the hub', 250)
  const seqs = events.filter((e) => e.systemProperties.outputName === 'out').map((e) => Number(e.properties.seq))
  assert.equal(seqs.length, 10_010, 'every message accepted reached the hub, none twice')
  assert.deepEqual(seqs, Array.from({ length: 10_010 }, (_, i) => i), 'in order')
  assert.equal(events.filter((e) => e.systemProperties.outputName === 'short').length, 0, 'expired messages are never sent')
})

test('a full store refuses new messages and loses none it accepted', { timeout: 120_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  const dataDir = await mkdtemp(join(tmpdir(), 'ledge-quota-hub-'))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  let th: TestHub | undefined = await startTestHub({ dataDir, keepDataDir: true })
  const hubHost = th.host
  const hubMqttPort = th.hub.mqttPort
  const edge = 'edge-quota'
  const key = await setUp(th, edge, { up: 'FROM /messages/modules/sender/outputs/out INTO $upstream' })
  const eh = await startTestEdgeHub(th, edge, { store: { maxBytes: 256 * 1024 } })
  const sender = ModuleClient.fromConnectionString(eh.connectionString(edge, key, 'sender'), Mqtt)
  t.after(async () => {
    // After its refusals the SDK's close() may wait for an operation it already gave up on: do not wait forever.
    await within(sender.close().catch(() => undefined), 3000, undefined)
    await eh.close()
    await th?.close()
  })
  await sender.open()
  await sendAll(sender, 'out', 0, 1, 1)
  await eventually(async () => ((await allEvents(th!, edge, 'sender')).length === 1 ? true : undefined), 15_000, 'the first message in the hub')
  await th.close()
  th = undefined

  // MQTT 3.1.1 has no negative PUBACK: a refused message gets none, and the edge hub closes the connection with the
  // reason in its log; the SDK keeps retrying it (back-pressure). A send that does not complete is the refusal.
  const body = 'x'.repeat(1024)
  let accepted = 1
  let refused = false
  for (let seq = 1; seq < 2000 && !refused; seq++) {
    const m = new Message(body)
    m.properties.add('seq', String(seq))
    const sent = sender.sendOutputEvent('out', m).then(() => true, () => false)
    const ok = await within(sent, 5000, false)
    if (ok) accepted++
    else refused = true
  }
  assert.ok(refused, 'the store never refused a message')
  assert.ok(accepted > 50 && accepted < 300, `a 256 KiB store took ${accepted} messages of 1 KiB`)
  const stats = eh.store.stats()
  assert.ok(stats.refused >= 1, 'the store counted the refusal')
  assert.equal(stats.messages, accepted - 1, 'everything accepted while the hub was down is stored')

  // The hub returns: the store drains, and the message the SDK kept retrying is accepted once there is room.
  th = await startTestHub({ dataDir, keepDataDir: true, bind: hubHost, mqttPort: hubMqttPort })
  const events = await eventually(async () => {
    const all = await allEvents(th!, edge, 'sender')
    return all.length >= accepted + 1 ? all : undefined
  }, 90_000, `${accepted + 1} messages in the hub`, 250)
  assert.deepEqual(events.map((e) => Number(e.properties.seq)), Array.from({ length: accepted + 1 }, (_, i) => i), 'all accepted, in order, then the retried one')
})
