/**
 * Automatic edge deployments through IoT Hub's configurations API, with the unmodified azure-iothub Registry: a
 * target condition over twin tags picks the devices, priorities pick the winner, layered deployments add modules, a
 * retagged device moves, and the metrics count what the `$edgeAgent` (a real azure-iot-device ModuleClient) reports.
 */
import { rm } from 'node:fs/promises'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { edgeContent, processModule as mod } from './deployment-content.js'
import { eventually, openModule, registryOf, rest } from './helpers.js'

type Json = Record<string, any>

const content = (modules: Record<string, unknown>) => edgeContent(modules, { up: 'FROM /messages/* INTO $upstream' })

const ids = Array.from({ length: 50 }, (_, i) => `edge-${String(i).padStart(2, '0')}`)

async function agentModules(th: TestHub, deviceId: string): Promise<string[]> {
  const res = await rest(th, 'GET', `/twins/${deviceId}/modules/$edgeAgent`)
  return Object.keys(((res.body as Json).properties.desired.modules as Json | undefined) ?? {}).sort()
}

async function metrics(th: TestHub, id: string): Promise<Json> {
  return (await registryOf(th).getConfiguration(id)).responseBody.systemMetrics!.results as Json
}

/** Waits until every device's $edgeAgent modules are as `expected` says. */
async function expectModules(th: TestHub, expected: (deviceId: string) => string[], what: string): Promise<void> {
  await eventually(async () => {
    for (const d of ids) if ((await agentModules(th, d)).join() !== expected(d).sort().join()) return undefined
    return true
  }, 15_000, what)
}

async function tag(th: TestHub, deviceId: string, tags: Json): Promise<void> {
  const res = await rest(th, 'PATCH', `/twins/${deviceId}`, { tags })
  assert.equal(res.status, 200, JSON.stringify(res.body))
}

test('target conditions, priorities, layers, retagging and metrics over 50 edge devices', async () => {
  await using th = await startTestHub()
  const registry = registryOf(th)
  // 0–19 prod (0–4 also ring=canary), 20–49 dev.
  for (const [i, d] of ids.entries()) {
    const res = await rest(th, 'PUT', `/devices/${d}`, { deviceId: d, capabilities: { iotEdge: true } })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    await tag(th, d, { environment: i < 20 ? 'prod' : 'dev', ...(i < 5 ? { ring: 'canary' } : {}) })
  }
  const prod = (d: string) => Number(d.slice(5)) < 20
  const canary = (d: string) => Number(d.slice(5)) < 5

  await registry.addConfiguration({ id: 'prod-base', schemaVersion: '1.0', content: content({ camera: mod('camera.js') }) as never, targetCondition: "tags.environment='prod'", priority: 10, labels: { team: 'vision' } })
  await expectModules(th, (d) => (prod(d) ? ['camera'] : []), 'prod-base on the prod devices only')
  assert.deepEqual(await metrics(th, 'prod-base'), { targetedCount: 20, appliedCount: 20, reportedSuccessfulCount: 0, reportedFailedCount: 0 })
  // The module twins of the other modules are there too.
  assert.deepEqual((await registry.getModuleTwin('edge-03', '$edgeHub')).responseBody.properties.desired.routes, { up: 'FROM /messages/* INTO $upstream' })

  const versionOf = async (d: string) => ((await rest(th, 'GET', `/twins/${d}/modules/$edgeAgent`)).body as Json).properties.desired.$version as number
  const before = await versionOf('edge-15')
  await registry.addConfiguration({ id: 'dev-base', schemaVersion: '1.0', content: content({ sensor: mod('sensor.js') }) as never, targetCondition: "tags.environment='dev'", priority: 10 })
  await expectModules(th, (d) => (prod(d) ? ['camera'] : ['sensor']), 'dev-base on the dev devices')
  // Every device was evaluated again; those whose content did not change were not written.
  assert.equal(await versionOf('edge-15'), before)

  // A layered deployment adds a module (and its twin's desired properties) on top of the base.
  await registry.addConfiguration({
    id: 'canary-logger', schemaVersion: '1.0', targetCondition: "tags.environment='prod' AND tags.ring='canary'", priority: 1,
    content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.logger': mod('logger.js') }, logger: { 'properties.desired': { level: 'debug' } } } } as never,
  })
  await expectModules(th, (d) => (canary(d) ? ['camera', 'logger'] : prod(d) ? ['camera'] : ['sensor']), 'the layer on the canaries')
  assert.equal((await registry.getConfiguration('canary-logger')).responseBody.systemMetrics!.results!.appliedCount, 5)
  // The logger module, created later (as the edge daemon does), starts with the layer's desired properties.
  await registry.addModule({ deviceId: 'edge-01', moduleId: 'logger' })
  assert.equal((await registry.getModuleTwin('edge-01', 'logger')).responseBody.properties.desired.level, 'debug')

  // A higher-priority base deployment wins; the layer stays on top of it.
  await registry.addConfiguration({ id: 'prod-v2', schemaVersion: '1.0', content: content({ camera2: mod('camera2.js') }) as never, targetCondition: "tags.environment = 'prod'", priority: 20, metrics: { queries: {
    healthy: "SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND properties.reported.lastDesiredStatus.code = 200",
    // IoT Hub's form: [[id]] quotes the configuration id; the $edgeAgent twin carries configurations.<id>.status.
    current: "SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[prod-v2]].status = 'Applied' AND properties.desired.$version = properties.reported.lastDesiredVersion AND properties.reported.lastDesiredStatus.code = 200",
  } } as never })
  await expectModules(th, (d) => (canary(d) ? ['camera2', 'logger'] : prod(d) ? ['camera2'] : ['sensor']), 'prod-v2 replacing prod-base')
  assert.deepEqual(await metrics(th, 'prod-base'), { targetedCount: 20, appliedCount: 0, reportedSuccessfulCount: 0, reportedFailedCount: 0 })

  // Retagging moves a device: edge-07 leaves prod for dev.
  await tag(th, 'edge-07', { environment: 'dev' })
  const moved = (d: string) => prod(d) && d !== 'edge-07'
  await expectModules(th, (d) => (canary(d) ? ['camera2', 'logger'] : moved(d) ? ['camera2'] : ['sensor']), 'edge-07 moved to dev')
  assert.deepEqual(await metrics(th, 'prod-v2'), { targetedCount: 19, appliedCount: 19, reportedSuccessfulCount: 0, reportedFailedCount: 0 })
  assert.equal((await metrics(th, 'dev-base')).appliedCount, 31)

  // The agents report: edge-10 applied the deployment, edge-11 failed; edge-12 reports about an older version.
  const report = async (deviceId: string, code: number, versionOffset = 0): Promise<void> => {
    const key = (await registry.getModule(deviceId, '$edgeAgent')).responseBody.authentication!.symmetricKey!.primaryKey!
    const agent = await openModule(th, deviceId, '$edgeAgent', key)
    try {
      const twin = await agent.getTwin()
      const version = (twin.properties.desired as Json).$version as number
      await new Promise<void>((resolve, reject) => twin.properties.reported.update({ lastDesiredVersion: version + versionOffset, lastDesiredStatus: { code, description: code === 200 ? '' : 'module camera2 failed' } }, (err?: Error) => (err ? reject(err) : resolve())))
    } finally {
      await agent.close()
    }
  }
  await report('edge-10', 200)
  await report('edge-11', 400)
  await report('edge-12', 200, -1)
  const v2 = (await registry.getConfiguration('prod-v2')).responseBody
  assert.deepEqual(v2.systemMetrics!.results, { targetedCount: 19, appliedCount: 19, reportedSuccessfulCount: 1, reportedFailedCount: 1 })
  assert.deepEqual(v2.metrics!.results, { healthy: 2, current: 1 })
  const current = await rest(th, 'GET', '/configurations/prod-v2/metricDevices?metricId=current&metricType=user')
  assert.deepEqual((current.body as Json).deviceIds, ['edge-10'])
  const failed = await rest(th, 'GET', '/configurations/prod-v2/metricDevices?metricId=reportedFailedCount&metricType=system')
  assert.deepEqual((failed.body as Json).deviceIds, ['edge-11'])

  // List, update (priority and condition; content cannot change), delete.
  const all = (await registry.getConfigurations()).responseBody
  assert.deepEqual(all.map((c) => c.id), ['canary-logger', 'dev-base', 'prod-base', 'prod-v2'])
  assert.equal((await rest(th, 'GET', '/configurations?top=2')).body instanceof Array && ((await rest(th, 'GET', '/configurations?top=2')).body as unknown[]).length, 2)
  const base = (await registry.getConfiguration('prod-base')).responseBody
  base.priority = 30
  await registry.updateConfiguration(base)
  await expectModules(th, (d) => (canary(d) ? ['camera', 'logger'] : moved(d) ? ['camera'] : ['sensor']), 'prod-base back on top')
  const changed = (await registry.getConfiguration('prod-base')).responseBody
  ;(changed.content as Json).modulesContent.$edgeAgent['properties.desired'].modules = {}
  await assert.rejects(registry.updateConfiguration(changed), (err: Error) => /cannot be changed/.test(err.message))
  await assert.rejects(registry.updateConfiguration({ ...base, etag: 'stale' }), (err: Error) => /etag/.test(err.message))

  await registry.removeConfiguration('prod-base')
  await expectModules(th, (d) => (canary(d) ? ['camera2', 'logger'] : moved(d) ? ['camera2'] : ['sensor']), 'prod-v2 after prod-base is gone')
  await assert.rejects(registry.getConfiguration('prod-base'), (err: Error) => /not found|does not exist/i.test(err.message))
})

test('invalid deployments are refused with every problem named', async () => {
  await using th = await startTestHub()
  const registry = registryOf(th)
  const put = (id: string, body: unknown, headers: Record<string, string> = {}) => rest(th, 'PUT', `/configurations/${encodeURIComponent(id)}`, body, headers)
  const message = (res: { body: unknown }) => (res.body as { Message: string }).Message

  const noHub = await put('bad', { id: 'bad', content: { modulesContent: { $edgeAgent: content({}).modulesContent.$edgeAgent } }, targetCondition: "tags.x = 'y' AND", priority: -1 })
  assert.equal(noHub.status, 400)
  assert.match(message(noHub), /modulesContent\.\$edgeHub is missing/)
  assert.match(message(noHub), /targetCondition:/)
  assert.match(message(noHub), /priority must be a non-negative integer/)

  const badId = await put('Has Upper', { content: content({}), targetCondition: '*' })
  assert.equal(badId.status, 400)
  assert.match(message(badId), /configuration id 'Has Upper' is not valid/)

  const badModule = await put('bad-module', { content: content({ cam: { type: 'process', settings: {} } }), targetCondition: '*' })
  assert.equal(badModule.status, 400)
  assert.match(message(badModule), /modules\.cam/)

  const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`m${i}`, mod('x.js')]))
  const many = await put('too-many', { content: content(tooMany), targetCondition: '*' })
  assert.equal(many.status, 400)
  assert.match(message(many), /51 modules, more than the limit of 50/)

  const notLayered = await put('paths', { layered: false, content: { modulesContent: { ...content({}).modulesContent, x: { 'properties.desired.a': 1 } } }, targetCondition: '*' })
  assert.match(message(notLayered), /are for layered deployments/)
  const badLayer = await put('bad-layer', { layered: true, content: { modulesContent: { $edgeAgent: { 'properties.desired': {} }, x: { desired: {} } } }, targetCondition: '*' })
  assert.equal(badLayer.status, 400)
  assert.match(message(badLayer), /cannot replace the whole desired properties of \$edgeAgent/)
  assert.match(message(badLayer), /modulesContent\.x has 'desired'/)

  const device = await put('device-content', { content: { deviceContent: { 'properties.desired.x': 1 } }, targetCondition: '*' })
  assert.match(message(device), /content\.modulesContent is required/)
  const badMetric = await put('bad-metric', { content: content({}), targetCondition: '*', metrics: { queries: { m: 'SELECT * FROM devices' } } })
  assert.match(message(badMetric), /metrics\.queries\.m/)

  await registry.addConfiguration({ id: 'ok', schemaVersion: '1.0', content: content({}) as never, targetCondition: '*' })
  await assert.rejects(registry.addConfiguration({ id: 'ok', schemaVersion: '1.0', content: content({}) as never, targetCondition: '*' }), (err: Error) => /already exists/.test(err.message))
  assert.equal((await rest(th, 'GET', '/configurations/missing')).status, 404)
  assert.equal((await rest(th, 'DELETE', '/configurations/missing')).status, 404)
  // None of the refused ones was stored.
  assert.deepEqual((await registry.getConfigurations()).responseBody.map((c) => c.id), ['ok'])
})

test('deployments survive a restart; re-evaluating them at start writes nothing that did not change', async () => {
  const first = await startTestHub({ keepDataDir: true })
  const dataDir = first.dataDir
  let versionBefore: number
  try {
    await rest(first, 'PUT', '/devices/edge-a', { deviceId: 'edge-a', capabilities: { iotEdge: true } })
    await tag(first, 'edge-a', { environment: 'prod' })
    await registryOf(first).addConfiguration({ id: 'keep', schemaVersion: '1.0', content: content({ camera: mod('camera.js') }) as never, targetCondition: "tags.environment='prod'" })
    await eventually(async () => ((await metrics(first, 'keep')).appliedCount === 1 ? true : undefined), 10_000, 'applied')
    versionBefore = ((await rest(first, 'GET', '/twins/edge-a/modules/$edgeAgent')).body as Json).properties.desired.$version
  } finally {
    await first.close()
  }
  await using cleanup = { [Symbol.asyncDispose]: () => rm(dataDir, { recursive: true, force: true }) }
  void cleanup
  await using again = await startTestHub({ dataDir })
  await eventually(async () => ((await metrics(again, 'keep')).appliedCount === 1 ? true : undefined), 10_000, 'applied after the restart')
  assert.equal(((await rest(again, 'GET', '/twins/edge-a/modules/$edgeAgent')).body as Json).properties.desired.$version, versionBefore)
  // A device created after the deployment gets it too.
  await rest(again, 'PUT', '/devices/edge-b', { deviceId: 'edge-b', capabilities: { iotEdge: true } })
  await tag(again, 'edge-b', { environment: 'prod' })
  await eventually(async () => ((await agentModules(again, 'edge-b')).join() === 'camera' ? true : undefined), 10_000, 'edge-b gets the deployment')
})
