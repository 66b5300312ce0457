/**
 * The unmodified azure-iothub Registry against a real hub: device and module CRUD, edge devices with their system
 * modules, twins, queries and statistics, and IoT Hub's error classes.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { registryOf, rest } from './helpers.js'

let th: TestHub
before(async () => {
  th = await startTestHub()
})
after(async () => {
  await th?.close()
})

test('create generates SAS keys; get, list, update and delete work', async () => {
  const registry = registryOf(th)
  const created = (await registry.create({ deviceId: 'reg-1' })).responseBody
  assert.equal(created.deviceId, 'reg-1')
  assert.equal(created.status, 'enabled')
  assert.equal(created.capabilities?.iotEdge, false)
  const keys = created.authentication!.symmetricKey!
  assert.equal(Buffer.from(keys.primaryKey!, 'base64').length, 32)
  assert.notEqual(keys.primaryKey, keys.secondaryKey)
  assert.match(created.generationId!, /^\d{18}$/)

  const got = (await registry.get('reg-1')).responseBody
  assert.equal(got.etag, created.etag)
  assert.equal(got.connectionState, 'Disconnected')

  const updated = (await registry.update({ deviceId: 'reg-1', status: 'disabled', authentication: { symmetricKey: { primaryKey: keys.primaryKey!, secondaryKey: keys.secondaryKey! } } })).responseBody
  assert.equal(updated.status, 'disabled')
  assert.equal(updated.authentication!.symmetricKey!.primaryKey, keys.primaryKey)
  assert.notEqual(updated.etag, created.etag)

  const list = (await registry.list()).responseBody
  assert.ok(list.some((d) => d.deviceId === 'reg-1'))

  await registry.delete('reg-1')
  await assert.rejects(registry.get('reg-1'), (err: Error) => err.constructor.name === 'DeviceNotFoundError' && /reg-1/.test(err.message))
})

test('user-supplied keys are kept; invalid ones are refused with ArgumentError', async () => {
  const registry = registryOf(th)
  const primaryKey = Buffer.alloc(32, 1).toString('base64')
  const secondaryKey = Buffer.alloc(32, 2).toString('base64')
  const d = (await registry.create({ deviceId: 'own-keys', authentication: { symmetricKey: { primaryKey, secondaryKey } } })).responseBody
  assert.equal(d.authentication!.symmetricKey!.primaryKey, primaryKey)
  await assert.rejects(registry.create({ deviceId: 'bad-keys', authentication: { symmetricKey: { primaryKey: 'not base64!', secondaryKey } } }),
    (err: Error) => err.constructor.name === 'ArgumentError' && /primaryKey must be base64/.test(err.message))
})

test('creating an existing device fails with DeviceAlreadyExistsError', async () => {
  const registry = registryOf(th)
  await registry.create({ deviceId: 'dup' })
  await assert.rejects(registry.create({ deviceId: 'dup' }), (err: Error) => err.constructor.name === 'DeviceAlreadyExistsError')
})

test('an edge-enabled device gets $edgeAgent and $edgeHub; leaf devices take its scope', async () => {
  const registry = registryOf(th)
  const edge = (await registry.create({ deviceId: 'EdgeCam', capabilities: { iotEdge: true } })).responseBody
  assert.equal(edge.capabilities?.iotEdge, true)
  assert.equal((edge as unknown as { deviceScope: string }).deviceScope, `ms-azure-iot-edge://EdgeCam-${edge.generationId}`)
  const modules = (await registry.getModulesOnDevice('EdgeCam')).responseBody
  assert.deepEqual(modules.map((m) => m.moduleId).sort(), ['$edgeAgent', '$edgeHub'])
  assert.ok(modules.every((m) => m.managedBy === 'IotEdge' && m.authentication?.symmetricKey?.primaryKey))

  const scope = (edge as unknown as { deviceScope: string }).deviceScope
  const leaf = await rest(th, 'PUT', '/devices/leaf-cam', { deviceId: 'leaf-cam', deviceScope: scope })
  assert.equal(leaf.status, 200, JSON.stringify(leaf.body))
  assert.deepEqual((leaf.body as { parentScopes: string[] }).parentScopes, [scope])
  const orphan = await rest(th, 'PUT', '/devices/orphan', { deviceId: 'orphan', deviceScope: 'ms-azure-iot-edge://nobody-123' })
  assert.equal(orphan.status, 400)
  assert.match((orphan.body as { Message: string }).Message, /^ErrorCode:ArgumentInvalid;scope .* does not belong to an existing edge device/)
})

test('module identities: create, get, list, update keys, delete', async () => {
  const registry = registryOf(th)
  await registry.create({ deviceId: 'mod-host' })
  const m = (await registry.addModule({ deviceId: 'mod-host', moduleId: 'camera' })).responseBody
  assert.equal(m.moduleId, 'camera')
  assert.ok(m.authentication?.symmetricKey?.primaryKey)
  assert.equal((await registry.getModule('mod-host', 'camera')).responseBody.generationId, m.generationId)
  await assert.rejects(registry.addModule({ deviceId: 'mod-host', moduleId: 'camera' }), // The SDK maps every 409 to DeviceAlreadyExistsError; the message names the module.
    (err: Error) => err.constructor.name === 'DeviceAlreadyExistsError' && /module 'camera' already exists/.test(err.message))
  const newKey = Buffer.alloc(32, 7).toString('base64')
  const upd = (await registry.updateModule({ deviceId: 'mod-host', moduleId: 'camera', authentication: { type: 'sas', symmetricKey: { primaryKey: newKey, secondaryKey: newKey } } } as never, true)).responseBody
  assert.equal(upd.authentication?.symmetricKey?.primaryKey, newKey)
  await registry.removeModule('mod-host', 'camera')
  assert.deepEqual((await registry.getModulesOnDevice('mod-host')).responseBody, [])
  await assert.rejects(registry.addModule({ deviceId: 'no-such-device', moduleId: 'x' }), (err: Error) => err.constructor.name === 'DeviceNotFoundError')
})

test('twins: tags and desired patch with etags, module twins, and IoT Hub merge semantics', async () => {
  const registry = registryOf(th)
  await registry.create({ deviceId: 'twin-svc' })
  const t0 = (await registry.getTwin('twin-svc')).responseBody
  const t1 = (await registry.updateTwin('twin-svc', { tags: { site: { building: 'A', floor: 2 } }, properties: { desired: { fps: 5, mode: 'day' } } }, t0.etag)).responseBody
  assert.deepEqual(t1.tags, { site: { building: 'A', floor: 2 } })
  assert.equal(t1.properties.desired.fps, 5)
  assert.equal(t1.properties.desired.$version, t0.properties.desired.$version + 1)
  // A stale etag is refused; null removes a property.
  await assert.rejects(registry.updateTwin('twin-svc', { tags: { x: 1 } }, t0.etag), (err: Error) => err.constructor.name === 'InvalidEtagError')
  const t2 = (await registry.updateTwin('twin-svc', { tags: { site: { floor: null } }, properties: { desired: { mode: null } } }, '*')).responseBody
  assert.deepEqual(t2.tags, { site: { building: 'A' } })
  assert.equal(t2.properties.desired.mode, undefined)

  await registry.addModule({ deviceId: 'twin-svc', moduleId: 'detector' })
  const mt = (await registry.updateModuleTwin('twin-svc', 'detector', { properties: { desired: { threshold: 0.6 } } }, '*')).responseBody
  assert.equal(mt.moduleId, 'detector')
  assert.equal(mt.properties.desired.threshold, 0.6)
})

test('twin query: WHERE over tags and properties, paging with continuation tokens', async () => {
  const registry = registryOf(th)
  for (let i = 0; i < 7; i++) {
    await registry.create({ deviceId: `q-${i}` })
    await registry.updateTwin(`q-${i}`, { tags: { env: i % 2 ? 'prod' : 'test', rank: i } }, '*')
  }
  const q = registry.createQuery("SELECT * FROM devices WHERE tags.env = 'prod' AND tags.rank >= 3", 1)
  const ids: string[] = []
  while (q.hasMoreResults) {
    const page = (await q.nextAsTwin()).result
    assert.ok(page.length <= 1)
    ids.push(...page.map((t) => t.deviceId))
  }
  assert.deepEqual(ids.sort(), ['q-3', 'q-5'])
  const count = await registry.createQuery("SELECT COUNT() AS n FROM devices WHERE tags.env = 'test'").next()
  assert.deepEqual(count.result, [{ n: 4 }])
  await assert.rejects(registry.createQuery('SELECT * FROM devices WHERE (').next(), (err: Error) => err.constructor.name === 'ArgumentError' && /position/.test(err.message))
})

test('registry statistics count enabled and disabled devices', async () => {
  const registry = registryOf(th)
  await registry.create({ deviceId: 'stat-off', status: 'disabled' })
  const stats = (await registry.getRegistryStatistics()).responseBody
  assert.ok(stats.totalDeviceCount! >= 1)
  assert.ok(stats.disabledDeviceCount! >= 1)
  assert.equal(stats.totalDeviceCount, stats.enabledDeviceCount! + stats.disabledDeviceCount!)
})
