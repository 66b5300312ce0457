/**
 * The read-only `configurations` section of module twins, as the unmodified azure-iothub Registry reads it: automatic
 * deployments that target an edge device are listed on its `$edgeAgent` twin (and on the other module twins they
 * address) as `Applied` or `Targeted`; twin queries select on `configurations.[[id]].status`; the device itself never
 * gets the section over MQTT.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { createIdentitySasToken } from '@ledge/protocol'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { edgeContent as content, processModule as mod } from './deployment-content.js'
import { eventually, registryOf, rest } from './helpers.js'

type Json = Record<string, any>

async function edgeDevice(th: TestHub, deviceId: string, tags: Json): Promise<void> {
  const created = await rest(th, 'PUT', `/devices/${deviceId}`, { deviceId, capabilities: { iotEdge: true } })
  assert.equal(created.status, 200, JSON.stringify(created.body))
  await registryOf(th).updateTwin(deviceId, { tags }, '*')
}

/** The section of a module twin, through azure-iothub's getModuleTwin. */
async function sectionOf(th: TestHub, deviceId: string, moduleId: string): Promise<Json | undefined> {
  return ((await registryOf(th).getModuleTwin(deviceId, moduleId)).responseBody as unknown as Json).configurations
}

/** Waits until the `$edgeAgent` twin of every device in `expected` shows exactly that section. */
async function expectSections(th: TestHub, expected: Record<string, Json | undefined>, what: string): Promise<void> {
  await eventually(async () => {
    for (const [deviceId, section] of Object.entries(expected)) {
      if (JSON.stringify(sortKeys(await sectionOf(th, deviceId, '$edgeAgent'))) !== JSON.stringify(sortKeys(section))) return undefined
    }
    return true
  }, 20_000, what)
}

const sortKeys = (o: Json | undefined) => (o ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))) : undefined)

async function queryIds(th: TestHub, sql: string): Promise<string[]> {
  const q = registryOf(th).createQuery(sql, 100)
  const ids: string[] = []
  while (q.hasMoreResults) ids.push(...(await q.nextAsTwin()).result.map((t) => `${t.deviceId}/${t.moduleId ?? ''}`))
  return ids.sort()
}

/** `$iothub/twin/GET` as the `$edgeAgent` itself does it, over raw MQTT: the document the device sees. */
async function twinAsDeviceSees(th: TestHub, deviceId: string, moduleId: string): Promise<Json> {
  const key = (await registryOf(th).getModule(deviceId, moduleId)).responseBody.authentication!.symmetricKey!.primaryKey!
  const password = createIdentitySasToken({ hostName: th.host, deviceId, moduleId, keyBase64: key, expiresAt: Date.now() / 1000 + 3600 })
  const client = await new Promise<mqtt.MqttClient>((resolve, reject) => {
    const c = mqtt.connect(`mqtts://${th.host}:${th.hub.mqttPort}`, {
      protocolVersion: 4, clientId: `${deviceId}/${moduleId}`, clean: true, reconnectPeriod: 0, ca: th.caPem, connectTimeout: 10_000,
      username: `${th.host}/${deviceId}/${moduleId}/?api-version=2021-04-12`, password,
    })
    c.once('connect', () => resolve(c))
    c.once('error', reject)
  })
  try {
    await client.subscribeAsync('$iothub/twin/res/#')
    const reply = new Promise<Json>((resolve) => client.on('message', (topic, payload) => {
      if (topic.startsWith('$iothub/twin/res/200/?$rid=get-1')) resolve(JSON.parse(payload.toString()) as Json)
    }))
    await client.publishAsync('$iothub/twin/GET/?$rid=get-1', '')
    return await reply
  } finally {
    await client.endAsync()
  }
}

test('configurations sections follow target conditions, priorities, layers and retags; queries select on them', async () => {
  await using th = await startTestHub()
  const registry = registryOf(th)
  await edgeDevice(th, 'edge-a', { env: 'prod' })
  await edgeDevice(th, 'edge-b', { env: 'prod' })
  await edgeDevice(th, 'edge-c', { env: 'dev' })
  // A plain device matching the condition: deployments are for edge devices, so its twin stays without a section.
  assert.equal((await rest(th, 'PUT', '/devices/leaf', { deviceId: 'leaf' })).status, 200)
  await registry.updateTwin('leaf', { tags: { env: 'prod' } }, '*')

  await registry.addConfiguration({ id: 'prod-base', schemaVersion: '1.0', content: content({ camera: mod('camera.js') }) as never, targetCondition: "tags.env='prod'", priority: 10 })
  await expectSections(th, { 'edge-a': { 'prod-base': { status: 'Applied' } }, 'edge-b': { 'prod-base': { status: 'Applied' } }, 'edge-c': undefined }, 'prod-base applied on the prod devices')
  assert.deepEqual(await sectionOf(th, 'edge-a', '$edgeHub'), { 'prod-base': { status: 'Applied' } })
  // Edge deployments write module twins: the device twin has no section, as in IoT Hub.
  assert.equal(((await registry.getTwin('edge-a')).responseBody as unknown as Json).configurations, undefined)
  assert.equal(((await registry.getTwin('leaf')).responseBody as unknown as Json).configurations, undefined)

  // A higher-priority base deployment wins: the lower one stays targeted only.
  await registry.addConfiguration({ id: 'prod-v2', schemaVersion: '1.0', content: content({ camera2: mod('camera2.js') }) as never, targetCondition: "tags.env = 'prod'", priority: 20 })
  const both = { 'prod-base': { status: 'Targeted' }, 'prod-v2': { status: 'Applied' } }
  await expectSections(th, { 'edge-a': both, 'edge-b': both, 'edge-c': undefined }, 'prod-v2 wins over prod-base')
  assert.deepEqual(sortKeys(await sectionOf(th, 'edge-b', '$edgeHub')), both)

  // A layer is applied on top; a module it gives desired properties lists it too, once that module exists.
  await registry.addConfiguration({
    id: 'logger-layer', schemaVersion: '1.0', targetCondition: "deviceId = 'edge-a'", priority: 1,
    content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.logger': mod('logger.js') }, logger: { 'properties.desired': { level: 'debug' } } } } as never,
  })
  await expectSections(th, { 'edge-a': { ...both, 'logger-layer': { status: 'Applied' } }, 'edge-b': both }, 'the layer on edge-a')
  await registry.addModule({ deviceId: 'edge-a', moduleId: 'logger' })
  await eventually(async () => ((await sectionOf(th, 'edge-a', 'logger'))?.['logger-layer']?.status === 'Applied' ? true : undefined), 20_000, 'the new logger twin lists the layer')
  assert.deepEqual(await sectionOf(th, 'edge-a', 'logger'), { 'logger-layer': { status: 'Applied' } })

  // Twin queries, IoT Hub's [[id]] quoting included, see the sections.
  assert.deepEqual(await queryIds(th, "SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[prod-v2]].status = 'Applied'"), ['edge-a/$edgeAgent', 'edge-b/$edgeAgent'])
  assert.deepEqual(await queryIds(th, "SELECT * FROM devices.modules WHERE configurations.[[prod-base]].status = 'Targeted'"), ['edge-a/$edgeAgent', 'edge-a/$edgeHub', 'edge-b/$edgeAgent', 'edge-b/$edgeHub'])
  assert.deepEqual(await queryIds(th, "SELECT * FROM devices.modules WHERE configurations.[[logger-layer]].status = 'Applied'"), ['edge-a/$edgeAgent', 'edge-a/logger'])
  assert.deepEqual(await queryIds(th, "SELECT * FROM devices WHERE configurations.[[prod-v2]].status = 'Applied'"), [])
  const rows = (await registry.createQuery("SELECT deviceId, configurations.[[prod-v2]].status AS s FROM devices.modules WHERE moduleId = '$edgeAgent'").next()).result as Json[]
  assert.deepEqual(rows.map((r) => `${r.deviceId}:${r.s ?? '-'}`).sort(), ['edge-a:Applied', 'edge-b:Applied', 'edge-c:-'])

  // Retagging edge-b out of prod: no longer targeted, so both prod deployments are removed from its twins.
  await registry.updateTwin('edge-b', { tags: { env: 'dev' } }, '*')
  await expectSections(th, { 'edge-b': undefined, 'edge-a': { ...both, 'logger-layer': { status: 'Applied' } } }, 'edge-b retagged out of prod')
  assert.equal(await sectionOf(th, 'edge-b', '$edgeHub'), undefined)
  assert.deepEqual(await queryIds(th, "SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[prod-v2]].status = 'Applied'"), ['edge-a/$edgeAgent'])

  // Deleting the winner makes the other one applied; the system metric counts what the sections say.
  await registry.removeConfiguration('prod-v2')
  await expectSections(th, { 'edge-a': { 'prod-base': { status: 'Applied' }, 'logger-layer': { status: 'Applied' } } }, 'prod-base applied again')
  assert.equal((await registry.getConfiguration('prod-base')).responseBody.systemMetrics!.results!.appliedCount, 1)

  // The section is the service's view: the $edgeAgent's own twin GET over MQTT is {desired, reported} only.
  const seen = await twinAsDeviceSees(th, 'edge-a', '$edgeAgent')
  assert.deepEqual(Object.keys(seen).sort(), ['desired', 'reported'])
  assert.ok(seen.desired.modules.camera, 'the document is the deployed one')
  assert.equal(JSON.stringify(seen).includes('prod-base'), false)

  // Service writes cannot set it: a twin replacement naming `configurations` leaves the section as the hub keeps it.
  await rest(th, 'PATCH', '/twins/edge-a/modules/$edgeAgent', { configurations: { forged: { status: 'Applied' } }, tags: { x: 1 } })
  assert.deepEqual(sortKeys(await sectionOf(th, 'edge-a', '$edgeAgent')), { 'logger-layer': { status: 'Applied' }, 'prod-base': { status: 'Applied' } })
})
