/**
 * The `ledge` binary against a real hub and the unmodified Azure device SDK: a printed connection string connects,
 * C2D messages arrive, direct methods are answered, and monitor-events shows telemetry.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { ledge, type RunResult } from './helpers.js'

const require = createRequire(import.meta.url)
const sdk = require('azure-iot-device') as typeof import('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')
type Client = import('azure-iot-device').Client

let th: TestHub
before(async () => {
  th = await startTestHub()
})
after(async () => {
  await th?.close()
})

function hub(args: string[]): Promise<RunResult> {
  return ledge(['hub', ...args], { env: { LEDGE_HUB_DATA_DIR: th.dataDir } })
}

async function ok(args: string[]): Promise<string> {
  const r = await hub(args)
  assert.equal(r.code, 0, `ledge hub ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

/** Creates a device with the CLI and connects the SDK client with the connection string the CLI prints. */
async function connectedDevice(deviceId: string): Promise<Client> {
  await ok(['device-identity', 'create', '-d', deviceId])
  const cs = (await ok(['device-identity', 'connection-string', 'show', '-d', deviceId])).trim()
  assert.match(cs, new RegExp(`^HostName=${th.host.replace(/\./g, '\\.')};DeviceId=${deviceId};SharedAccessKey=[^;]+;GatewayHostName=${th.host.replace(/\./g, '\\.')}:\\d+$`))
  const client = sdk.Client.fromConnectionString(cs, Mqtt)
  await client.setOptions({ ca: th.caPem })
  await client.open()
  return client
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))])
}

test('the printed device connection string connects the unmodified SDK client; the secondary key too', async () => {
  const client = await connectedDevice('cli-cs')
  await client.close()
  const secondary = (await ok(['device-identity', 'connection-string', 'show', '-d', 'cli-cs', '--key-type', 'secondary', '-o', 'json']))
  const cs = (JSON.parse(secondary) as { connectionString: string }).connectionString
  const c2 = sdk.Client.fromConnectionString(cs, Mqtt)
  await c2.setOptions({ ca: th.caPem })
  await c2.open()
  await c2.close()
})

test('c2d-message send reaches the device with its properties; purge empties the queue', async () => {
  const client = await connectedDevice('cli-c2d')
  try {
    const received = within(new Promise<import('azure-iot-device').Message>((resolve) => client.on('message', resolve)), 10_000, 'C2D message')
    const sent = await ok(['c2d-message', 'send', '-d', 'cli-c2d', '--data', 'hello device', '--props', 'color=red;size=L', '--message-id', 'cli-m1', '--correlation-id', 'cli-c1', '--content-type', 'text/plain'])
    assert.match(sent, /^MessageId\s+cli-m1$/m)
    const m = await received
    assert.equal(m.data.toString(), 'hello device')
    assert.equal(m.messageId, 'cli-m1')
    assert.equal(m.correlationId, 'cli-c1')
    const props: Record<string, string> = {}
    for (let i = 0; i < m.properties.count(); i++) props[m.properties.getItem(i).key] = m.properties.getItem(i).value
    assert.equal(props.color, 'red')
    assert.equal(props.size, 'L')
    await client.complete(m)
  } finally {
    await client.close()
  }
  await ok(['c2d-message', 'send', '-d', 'cli-c2d', '--data', 'one'])
  await ok(['c2d-message', 'send', '-d', 'cli-c2d', '--data', 'two'])
  const purged = JSON.parse(await ok(['c2d-message', 'purge', '-d', 'cli-c2d', '-o', 'json'])) as { deviceId: string; totalMessagesPurged: number }
  assert.deepEqual(purged, { deviceId: 'cli-c2d', totalMessagesPurged: 2 })
})

test('invoke-device-method gets the answer of an SDK device', async () => {
  const client = await connectedDevice('cli-method')
  try {
    client.onDeviceMethod('reboot', (req, res) => {
      void res.send(200, { rebooting: true, delay: (req.payload as { delay: number }).delay })
    })
    // Let the method subscription reach the hub.
    await new Promise((r) => setTimeout(r, 300))
    const out = JSON.parse(await ok(['invoke-device-method', '-d', 'cli-method', '--method-name', 'reboot', '--method-payload', '{"delay": 5}', '--timeout', '10', '-o', 'json']))
    assert.deepEqual(out, { status: 200, payload: { rebooting: true, delay: 5 } })
    const table = await ok(['invoke-device-method', '-d', 'cli-method', '--method-name', 'reboot', '--method-payload', '{"delay": 1}'])
    assert.match(table, /^Status\s+200\nPayload\s+\{"rebooting":true,"delay":1\}\n$/)
    // The SDK does not answer a method it has no handler for: the hub gives up after --timeout.
    const unanswered = await hub(['invoke-device-method', '-d', 'cli-method', '--method-name', 'nope', '--timeout', '5'])
    assert.equal(unanswered.code, 1)
    assert.match(unanswered.stderr, /^error: .*\(GatewayTimeout\)\n$/)
  } finally {
    await client.close()
  }
  const offline = await hub(['invoke-device-method', '-d', 'cli-method', '--method-name', 'reboot'])
  assert.equal(offline.code, 1)
  assert.match(offline.stderr, /^error: .*\(DeviceNotOnline\)\n$/)
})

test('monitor-events --timeout shows an event sent by an SDK device', async () => {
  const client = await connectedDevice('cli-events')
  try {
    const msg = new sdk.Message(JSON.stringify({ temperature: 21.5 }))
    msg.properties.add('alert', 'hot')
    await client.sendEvent(msg)
    await client.sendEvent(new sdk.Message('plain text'))
  } finally {
    await client.close()
  }
  const json = await hub(['monitor-events', '-d', 'cli-events', '--from', 'earliest', '--timeout', '2', '-o', 'json'])
  assert.equal(json.code, 0, json.stderr)
  const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { deviceId: string; body: unknown; properties: Record<string, string> })
  assert.equal(events.length, 2, json.stdout)
  assert.deepEqual(events[0]!.body, { temperature: 21.5 })
  assert.deepEqual(events[0]!.properties, { alert: 'hot' })
  assert.equal(events[1]!.body, 'plain text')

  const table = await hub(['monitor-events', '-d', 'cli-events', '--from', 'earliest', '--max-events', '1'])
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, /^\S+Z {2}cli-events {2}offset=\d+ {2}\{"temperature":21\.5\} {2}properties=\{"alert":"hot"\}\n$/)
})

test('monitor-events prints events as they arrive', async () => {
  const client = await connectedDevice('cli-live')
  try {
    let done = false
    const monitor = hub(['monitor-events', '-d', 'cli-live', '--max-events', '1', '--timeout', '30', '-o', 'json']).finally(() => (done = true))
    // The stream starts at "latest": keep sending until the monitor, once connected, has seen one.
    for (let i = 0; !done && i < 100; i++) {
      await client.sendEvent(new sdk.Message(`live ${i}`))
      await new Promise((r) => setTimeout(r, 250))
    }
    const r = await monitor
    assert.equal(r.code, 0, r.stderr)
    assert.match((JSON.parse(r.stdout) as { body: string }).body, /^live \d+$/)
  } finally {
    await client.close()
  }
})
