/**
 * Bad input gets a clear refusal and nothing already accepted is lost: wrong or expired SAS tokens, disabled
 * devices, another device's topics, malformed property bags, oversized payloads, unknown api-versions, bad JSON,
 * policies without the right.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { createIdentitySasToken, createServiceSasToken, parseServiceConnectionString } from '@ledge/protocol'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { createDevice, eventually, rest } from './helpers.js'

let th: TestHub
before(async () => {
  th = await startTestHub()
})
after(async () => {
  await th?.close()
})

/** A raw MQTT 3.1.1 client, to see exactly what the hub answers. */
function rawClient(deviceId: string, password: string, opts: { username?: string; clientId?: string } = {}): Promise<{ client: mqtt.MqttClient; connack?: number; error?: Error }> {
  return new Promise((resolve) => {
    const client = mqtt.connect(`mqtts://${th.host}:${th.hub.mqttPort}`, {
      protocolVersion: 4, clientId: opts.clientId ?? deviceId, clean: false, reconnectPeriod: 0, ca: th.caPem,
      username: opts.username ?? `${th.host}/${deviceId}/?api-version=2021-04-12`, password, connectTimeout: 5000,
    })
    client.once('connect', () => resolve({ client, connack: 0 }))
    client.once('error', (error: Error & { code?: number }) => resolve({ client, ...(error.code !== undefined ? { connack: error.code } : {}), error }))
    client.once('close', () => resolve({ client, error: new Error('closed without CONNACK') }))
  })
}

function token(deviceId: string, key: string, expiresInS = 3600): string {
  return createIdentitySasToken({ hostName: th.host, deviceId, keyBase64: key, expiresAt: Date.now() / 1000 + expiresInS })
}

test('CONNECT with a wrong key, an expired token, a token for another device or a disabled device is refused with code 5', async () => {
  const key = await createDevice(th, 'guarded')
  const other = await createDevice(th, 'other')
  const cases: [string, string, string][] = [
    ['wrong key', 'guarded', token('guarded', other)],
    ['expired token', 'guarded', token('guarded', key, -10)],
    ['token of another device', 'guarded', token('other', other)],
    ['not a SAS token', 'guarded', 'hello'],
    ['unknown device', 'ghost', token('ghost', key)],
  ]
  for (const [what, id, password] of cases) {
    const r = await rawClient(id, password)
    assert.equal(r.connack, 5, `${what}: expected CONNACK 5, got ${r.connack} (${r.error?.message})`)
    r.client.end(true)
  }
  const mismatch = await rawClient('guarded', token('guarded', key), { clientId: 'someone-else' })
  assert.equal(mismatch.connack, 2, 'a client id that differs from the username is refused with code 2')
  mismatch.client.end(true)

  await rest(th, 'PUT', '/devices/guarded', { deviceId: 'guarded', status: 'disabled' }, { 'if-match': '*' })
  const disabled = await rawClient('guarded', token('guarded', key))
  assert.equal(disabled.connack, 5)
  disabled.client.end(true)
})

test('disabling a connected device disconnects it', async () => {
  const key = await createDevice(th, 'to-disable')
  const r = await rawClient('to-disable', token('to-disable', key))
  assert.equal(r.connack, 0)
  const closed = new Promise<void>((resolve) => r.client.once('close', () => resolve()))
  await rest(th, 'PUT', '/devices/to-disable', { deviceId: 'to-disable', status: 'disabled' }, { 'if-match': '*' })
  await closed
  r.client.end(true)
})

test("publishing to another device's topic or to a malformed property bag closes the connection; accepted messages stay", async () => {
  const key = await createDevice(th, 'nosy')
  await createDevice(th, 'victim')
  for (const topic of ['devices/victim/messages/events/', 'devices/nosy/messages/events/%zz=1', 'random/topic']) {
    const r = await rawClient('nosy', token('nosy', key))
    assert.equal(r.connack, 0)
    await r.client.publishAsync('devices/nosy/messages/events/n=1', 'accepted', { qos: 1 })
    const closed = new Promise<void>((resolve) => r.client.once('close', () => resolve()))
    r.client.publish(topic, 'x', { qos: 1 })
    await closed
    r.client.end(true)
  }
  const victim = await rest(th, 'GET', '/events/messages?deviceId=victim&from=earliest')
  assert.deepEqual((victim.body as { events: unknown[] }).events, [])
  const nosy = await rest(th, 'GET', '/events/messages?deviceId=nosy&from=earliest')
  assert.equal((nosy.body as { events: unknown[] }).events.length, 3, 'the messages acknowledged before each violation are kept')
})

test("subscribing to another device's C2D topic is refused (SUBACK 0x80)", async () => {
  const key = await createDevice(th, 'sub-nosy')
  const r = await rawClient('sub-nosy', token('sub-nosy', key))
  await assert.rejects(r.client.subscribeAsync('devices/victim/messages/devicebound/#', { qos: 1 }),
    (err: Error & { packet?: { granted?: number[] } }) => err.packet?.granted?.[0] === 0x80)
  const own = await r.client.subscribeAsync('devices/sub-nosy/messages/devicebound/#', { qos: 1 })
  assert.equal(own[0]!.qos, 1)
  r.client.end(true)
})

test('an oversized message closes the connection and is not stored', async () => {
  const key = await createDevice(th, 'big')
  const r = await rawClient('big', token('big', key))
  const closed = new Promise<void>((resolve) => r.client.once('close', () => resolve()))
  r.client.publish('devices/big/messages/events/', Buffer.alloc(300 * 1024, 1), { qos: 1 })
  await closed
  r.client.end(true)
  const events = await rest(th, 'GET', '/events/messages?deviceId=big&from=earliest')
  assert.deepEqual((events.body as { events: unknown[] }).events, [])
})

test('REST: unknown or missing api-version, bad token, wrong policy, malformed JSON, oversized C2D', async () => {
  const noVersion = await rest(th, 'GET', '/devices?api-version=1999-01-01')
  assert.equal(noVersion.status, 400)
  assert.match((noVersion.body as { Message: string }).Message, /^ErrorCode:InvalidProtocolVersion;api-version '1999-01-01' is not supported/)

  const anonymous = await fetch(`${th.url}/devices?api-version=2021-04-12`)
  assert.equal(anonymous.status, 401)
  assert.match(((await anonymous.json()) as { Message: string }).Message, /Authorization header/)

  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const forged = createServiceSasToken({ hostName: cs.hostName, policyName: 'iothubowner', keyBase64: Buffer.alloc(32).toString('base64'), expiresAt: Date.now() / 1000 + 60 })
  const bad = await fetch(`${th.url}/devices?api-version=2021-04-12`, { headers: { authorization: forged } })
  assert.equal(bad.status, 401)

  const malformed = await rest(th, 'PUT', '/devices/json-bad', '{"deviceId": ', { 'content-type': 'application/json' })
  assert.equal(malformed.status, 400)
  assert.match((malformed.body as { Message: string }).Message, /not valid JSON/)

  const wrongType = await rest(th, 'PUT', '/devices/type-bad', { deviceId: 'type-bad', status: 'sleeping' })
  assert.equal(wrongType.status, 400)
  assert.match((wrongType.body as { Message: string }).Message, /status/)

  await createDevice(th, 'c2d-big')
  const tooBig = await rest(th, 'POST', '/devices/c2d-big/messages/deviceBound', Buffer.alloc(65 * 1024, 65).toString(), { 'content-type': 'text/plain' })
  assert.equal(tooBig.status, 413)
  const count = await rest(th, 'GET', '/devices/c2d-big')
  assert.equal((count.body as { cloudToDeviceMessageCount: number }).cloudToDeviceMessageCount, 0)
})

test('a full C2D queue refuses the 51st message and keeps the 50', async () => {
  await createDevice(th, 'c2d-full')
  for (let i = 0; i < 50; i++) {
    const r = await rest(th, 'POST', '/devices/c2d-full/messages/deviceBound', `m${i}`)
    assert.equal(r.status, 200)
  }
  const r = await rest(th, 'POST', '/devices/c2d-full/messages/deviceBound', 'one too many')
  assert.equal(r.status, 403)
  assert.match((r.body as { Message: string }).Message, /DeviceMaximumQueueDepthExceeded/)
  const d = await eventually(async () => (await rest(th, 'GET', '/devices/c2d-full')).body as { cloudToDeviceMessageCount: number })
  assert.equal(d.cloudToDeviceMessageCount, 50)
})

test('a policy without RegistryWrite can read but not create devices', async () => {
  const policy = await rest(th, 'GET', '/policies/registryRead')
  assert.equal(policy.status, 200)
  const { keyName, primaryKey, rights } = policy.body as { keyName: string; primaryKey: string; rights: string[] }
  assert.deepEqual(rights, ['RegistryRead'])
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const readOnly = createServiceSasToken({ hostName: cs.hostName, policyName: keyName, keyBase64: primaryKey, expiresAt: Date.now() / 1000 + 60 })
  const list = await fetch(`${th.url}/devices?api-version=2021-04-12`, { headers: { authorization: readOnly } })
  assert.equal(list.status, 200)
  const create = await fetch(`${th.url}/devices/x?api-version=2021-04-12`, { method: 'PUT', headers: { authorization: readOnly, 'content-type': 'application/json' }, body: '{}' })
  assert.equal(create.status, 403)
  assert.match(((await create.json()) as { Message: string }).Message, /lacks the RegistryWrite right/)
  const policies = await fetch(`${th.url}/policies?api-version=2021-04-12`, { headers: { authorization: readOnly } })
  assert.equal(policies.status, 403, 'only an owner policy may read keys')
})
