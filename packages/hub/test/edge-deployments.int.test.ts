/**
 * The hub side of IoT Edge: a deployment applied to an edge device (the unmodified azure-iothub
 * `applyConfigurationContentOnDevice`) becomes the desired properties of its module twins, and an edge device manages
 * its own module identities with its device token, as the edge daemon does.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createIdentitySasToken } from '@ledge/protocol'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { registryOf, rest } from './helpers.js'

const deployment = {
  modulesContent: {
    $edgeAgent: {
      'properties.desired': {
        schemaVersion: '1.1',
        runtime: { type: 'process', settings: {} },
        systemModules: { edgeAgent: { type: 'process', settings: { command: 'node' } }, edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } } },
        modules: { camera: { version: '1.0', type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node', args: ['camera.js'] } } },
      },
    },
    $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: { up: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    camera: { 'properties.desired': { fps: 5 } },
  },
}

async function deviceFetch(th: TestHub, deviceId: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const token = createIdentitySasToken({ hostName: th.host, deviceId, keyBase64: key, expiresAt: Date.now() / 1000 + 600 })
  const res = await fetch(`${th.url}${path}?api-version=2021-04-12`, {
    method, headers: { authorization: token, ...(body ? { 'content-type': 'application/json' } : {}), ...(method === 'DELETE' ? { 'if-match': '*' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

test('applyConfigurationContentOnDevice writes the module twins; a module created later gets its desired properties', async () => {
  await using th = await startTestHub()
  const registry = registryOf(th)
  await registry.create({ deviceId: 'edge-1', capabilities: { iotEdge: true } })
  await registry.applyConfigurationContentOnDevice('edge-1', deployment as never)
  const agent = (await registry.getModuleTwin('edge-1', '$edgeAgent')).responseBody
  assert.equal(agent.properties.desired.schemaVersion, '1.1')
  assert.equal((agent.properties.desired.modules as Record<string, { settings: { args: string[] } }>).camera!.settings.args[0], 'camera.js')
  const hub = (await registry.getModuleTwin('edge-1', '$edgeHub')).responseBody
  assert.deepEqual(hub.properties.desired.routes, { up: 'FROM /messages/* INTO $upstream' })

  const camera = (await registry.addModule({ deviceId: 'edge-1', moduleId: 'camera' })).responseBody
  assert.ok(camera.generationId)
  assert.equal((await registry.getModuleTwin('edge-1', 'camera')).responseBody.properties.desired.fps, 5)

  // A second deployment replaces the desired properties (removed keys are gone) and bumps the version.
  const next = structuredClone(deployment)
  ;(next.modulesContent.camera as Record<string, unknown>)['properties.desired'] = { fps: 10 }
  delete (next.modulesContent.$edgeAgent['properties.desired'].modules as Record<string, unknown>).camera
  const before = agent.properties.desired.$version
  await registry.applyConfigurationContentOnDevice('edge-1', next as never)
  const agent2 = (await registry.getModuleTwin('edge-1', '$edgeAgent')).responseBody
  assert.equal(agent2.properties.desired.$version, before + 1)
  assert.deepEqual(agent2.properties.desired.modules, {})
  assert.equal((await registry.getModuleTwin('edge-1', 'camera')).responseBody.properties.desired.fps, 10)
})

test('a deployment to a device that is not an edge device, or without $edgeHub, is refused and changes nothing', async () => {
  await using th = await startTestHub()
  const registry = registryOf(th)
  await registry.create({ deviceId: 'plain' })
  await assert.rejects(registry.applyConfigurationContentOnDevice('plain', deployment as never),
    (err: Error) => err.constructor.name === 'ArgumentError' && /not an IoT Edge device/.test(err.message))
  await registry.create({ deviceId: 'edge-2', capabilities: { iotEdge: true } })
  const bad = { modulesContent: { $edgeAgent: deployment.modulesContent.$edgeAgent, camera: { desired: {} } } }
  const res = await rest(th, 'POST', '/devices/edge-2/applyConfigurationContent', bad)
  assert.equal(res.status, 400)
  const message = (res.body as { Message: string }).Message
  assert.match(message, /modulesContent\.\$edgeHub is missing/)
  assert.match(message, /modulesContent\.camera must be \{"properties\.desired"/)
  const agent = (await registry.getModuleTwin('edge-2', '$edgeAgent')).responseBody
  assert.deepEqual(Object.keys(agent.properties.desired).filter((k) => !k.startsWith('$')), [])
})

test('an edge device manages its own module identities with its device token; others may not', async () => {
  await using th = await startTestHub()
  const registry = registryOf(th)
  const edge = (await registry.create({ deviceId: 'edge-3', capabilities: { iotEdge: true } })).responseBody
  const key = edge.authentication!.symmetricKey!.primaryKey!
  const created = await deviceFetch(th, 'edge-3', key, 'PUT', '/devices/edge-3/modules/detector', { moduleId: 'detector', managedBy: 'IotEdge' })
  assert.equal(created.status, 200, JSON.stringify(created.body))
  assert.equal((created.body as { managedBy: string }).managedBy, 'IotEdge')
  const list = await deviceFetch(th, 'edge-3', key, 'GET', '/devices/edge-3/modules')
  assert.deepEqual((list.body as { moduleId: string }[]).map((m) => m.moduleId).sort(), ['$edgeAgent', '$edgeHub', 'detector'])
  assert.equal((await deviceFetch(th, 'edge-3', key, 'DELETE', '/devices/edge-3/modules/detector')).status, 204)

  // Not another device's modules, not the registry at large, and not as a plain (non-edge) device.
  await registry.create({ deviceId: 'other-edge', capabilities: { iotEdge: true } })
  const foreign = await deviceFetch(th, 'edge-3', key, 'PUT', '/devices/other-edge/modules/x', { moduleId: 'x' })
  assert.equal(foreign.status, 401)
  const devices = await deviceFetch(th, 'edge-3', key, 'GET', '/devices')
  assert.equal(devices.status, 401)
  const plain = (await registry.create({ deviceId: 'leaf' })).responseBody
  const leaf = await deviceFetch(th, 'leaf', plain.authentication!.symmetricKey!.primaryKey!, 'PUT', '/devices/leaf/modules/x', { moduleId: 'x' })
  assert.equal(leaf.status, 403)
  assert.match((leaf.body as { Message: string }).Message, /not an IoT Edge device/)
})
