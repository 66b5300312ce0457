/**
 * The hub's device-scope API (packages/hub/src/http/routes/device-scope.ts) against a real hub: what is in an edge
 * device's scope, paging with continuation links in the three Azure forms, the single-identity forms, and who may ask.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { registryOf, rest, serviceToken, setupEdge, type EdgeSetup } from './upstream-fixture.js'

const BASE = '/devices/edge1/modules/$edgeHub'
const idOf = (x: { deviceId: string; moduleId?: string }): string => (x.moduleId ? `${x.deviceId}/${x.moduleId}` : x.deviceId)

interface ScopeResult {
  devices: { deviceId: string; deviceScope?: string; authentication: { symmetricKey: { primaryKey: string } } }[]
  modules: { deviceId: string; moduleId: string; authentication: { symmetricKey: { primaryKey: string } } }[]
  continuationLink: string | null
}

async function populate(th: TestHub): Promise<EdgeSetup> {
  const edge = await setupEdge(th, { leaves: ['leaf1', 'leaf2', 'leaf3'] })
  const registry = registryOf(th)
  await registry.addModule({ deviceId: 'leaf2', moduleId: 'probe' })
  await registry.create({ deviceId: 'outsider' })
  const edge2 = (await registry.create({ deviceId: 'edge2', capabilities: { iotEdge: true } })).responseBody
  await registry.create({ deviceId: 'leaf-of-edge2', deviceScope: (edge2 as { deviceScope?: string }).deviceScope } as never)
  // A child edge device in a nested hierarchy: in edge1's scope through parentScopes.
  await registry.create({ deviceId: 'child-edge', capabilities: { iotEdge: true }, parentScopes: [edge.scope] } as never)
  return edge
}

const EXPECTED = [
  'edge1', 'edge1/$edgeAgent', 'edge1/$edgeHub', 'edge1/detector',
  'child-edge', 'child-edge/$edgeAgent', 'child-edge/$edgeHub',
  'leaf1', 'leaf2', 'leaf2/probe', 'leaf3',
]

function idsOf(r: ScopeResult): string[] {
  return [...r.devices.map(idOf), ...r.modules.map(idOf)]
}

test('device scope: paged by POST with continuation links, legacy GET and the nested form', async () => {
  await using th = await startTestHub()
  const edge = await populate(th)
  const token = await edge.edgeHubToken()

  // POST {pageSize, continuationLink} with the edge hub's own token, 3 identities a page.
  const seen: string[] = []
  let link: string | null = null
  let pages = 0
  do {
    const r = await rest(th, 'POST', `${BASE}/devicesAndModulesInDeviceScope?api-version=2021-04-12`, { pageSize: 3, ...(link ? { continuationLink: link } : {}) }, token)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const body = r.body as ScopeResult
    assert.ok(idsOf(body).length <= 3)
    seen.push(...idsOf(body))
    link = body.continuationLink
    pages++
  } while (link)
  assert.deepEqual([...seen].sort(), [...EXPECTED].sort())
  assert.equal(new Set(seen).size, seen.length, 'no identity twice')
  assert.equal(pages, 4)

  // Keys and scopes come with the identities.
  const all = (await rest(th, 'POST', `${BASE}/devicesAndModulesInDeviceScope?api-version=2021-04-12`, { pageSize: 100 }, token)).body as ScopeResult
  assert.equal(all.continuationLink, null)
  const leaf1 = all.devices.find((d) => d.deviceId === 'leaf1')!
  assert.equal(leaf1.authentication.symmetricKey.primaryKey, edge.keys.leaf1)
  assert.equal(leaf1.deviceScope, edge.scope)
  assert.equal(all.modules.find((m) => m.moduleId === 'detector')!.authentication.symmetricKey.primaryKey, edge.keys['edge1/detector'])
  assert.equal(all.devices[0]!.deviceId, 'edge1', 'the edge device comes first')

  // Azure's legacy GET (2018-08-30-preview): the continuation link is a path the client GETs as is.
  const legacy: string[] = []
  let next: string | null = `${BASE}/devicesAndModulesInDeviceScope?deviceCount=4&continuationToken=&api-version=2018-08-30-preview`
  while (next) {
    const r = await rest(th, 'GET', next, undefined, token)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    legacy.push(...idsOf(r.body as ScopeResult))
    next = (r.body as ScopeResult).continuationLink
  }
  assert.deepEqual(legacy.sort(), [...EXPECTED].sort())

  // Azure's nested form (2020-06-30-preview), as the .NET edge hub calls it: authChain, link posted back.
  const nested: string[] = []
  link = null
  do {
    const r = await rest(th, 'POST', `${BASE}/devicesAndModulesInTargetDeviceScope?api-version=2020-06-30-preview`, { pageSize: 5, authChain: 'edge1', ...(link ? { continuationLink: link } : {}) }, token)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    nested.push(...idsOf(r.body as ScopeResult))
    link = (r.body as ScopeResult).continuationLink
  } while (link)
  assert.deepEqual(nested.sort(), [...EXPECTED].sort())

  // The parent asks for its child edge device's scope on its behalf.
  const child = await rest(th, 'POST', `${BASE}/devicesAndModulesInTargetDeviceScope?api-version=2020-06-30-preview`, { pageSize: 100, authChain: 'child-edge;edge1' }, token)
  assert.equal(child.status, 200)
  assert.deepEqual(idsOf(child.body as ScopeResult).sort(), ['child-edge', 'child-edge/$edgeAgent', 'child-edge/$edgeHub'])
  const notChild = await rest(th, 'POST', `${BASE}/devicesAndModulesInTargetDeviceScope?api-version=2020-06-30-preview`, { pageSize: 100, authChain: 'edge2;edge1' }, token)
  assert.equal(notChild.status, 403)
  assert.match(notChild.body.Message, /'edge2' is not a child of edge device 'edge1'/)

  const badLink = await rest(th, 'POST', `${BASE}/devicesAndModulesInDeviceScope?api-version=2021-04-12`, { pageSize: 3, continuationLink: 'garbage!' }, token)
  assert.equal(badLink.status, 400)
  const badSize = await rest(th, 'POST', `${BASE}/devicesAndModulesInDeviceScope?api-version=2021-04-12`, { pageSize: 5000 }, token)
  assert.equal(badSize.status, 400)
})

test('device scope: one identity (legacy GET and on-behalf-of)', async () => {
  await using th = await startTestHub()
  const edge = await populate(th)
  const token = await edge.edgeHubToken()
  const one = await rest(th, 'GET', `${BASE}/deviceAndModuleInDeviceScope?targetDeviceId=leaf2&targetModuleId=probe&api-version=2018-08-30-preview`, undefined, token)
  assert.equal(one.status, 200)
  assert.deepEqual(idsOf(one.body as ScopeResult), ['leaf2/probe'])
  assert.equal((one.body as ScopeResult).continuationLink, null)

  const outside = await rest(th, 'GET', `${BASE}/deviceAndModuleInDeviceScope?targetDeviceId=outsider&api-version=2018-08-30-preview`, undefined, token)
  assert.equal(outside.status, 200)
  assert.deepEqual(idsOf(outside.body as ScopeResult), [], 'out of scope: nothing')

  const obo = await rest(th, 'POST', `${BASE}/getDeviceAndModuleOnBehalfOf?api-version=2020-06-30-preview`, { targetDeviceId: 'leaf1', authChain: 'edge1' }, token)
  assert.equal(obo.status, 200)
  const dev = (obo.body as ScopeResult).devices[0]!
  assert.equal(dev.deviceId, 'leaf1')
  assert.equal(dev.authentication.symmetricKey.primaryKey, edge.keys.leaf1)
  const self = await rest(th, 'POST', `${BASE}/getDeviceAndModuleOnBehalfOf?api-version=2020-06-30-preview`, { targetDeviceId: 'edge1', targetModuleId: 'detector', authChain: 'edge1' }, token)
  assert.deepEqual(idsOf(self.body as ScopeResult), ['edge1/detector'])
})

test('device scope: who may ask', async () => {
  await using th = await startTestHub()
  const edge = await populate(th)
  const path = `${BASE}/devicesAndModulesInDeviceScope?api-version=2021-04-12`
  const edge2 = (await registryOf(th).getModule('edge2', '$edgeHub')).responseBody
  const policies = await rest(th, 'GET', '/policies?api-version=2021-04-12')
  const policyKey = (name: string): string => (policies.body as { keyName: string; primaryKey: string }[]).find((p) => p.keyName === name)!.primaryKey

  const cases: [string, string | null, number, RegExp][] = [
    ['no token', null, 401, /Authorization header/],
    ['the edge device\'s own token', edge.tokenOf('edge1'), 401, /must be for/],
    ['a module token of the edge device', edge.tokenOf('edge1', 'detector'), 401, /must be for/],
    ['another edge hub\'s token', edge.tokenOf('edge2', '$edgeHub', 3600, edge2.authentication!.symmetricKey!.primaryKey!), 401, /must be for/],
    ['an expired edge hub token', edge.tokenOf('edge1', '$edgeHub', -10), 401, /expired/],
    ['a service token without RegistryRead', serviceToken(th, { name: 'service', key: policyKey('service') }), 403, /lacks the RegistryRead right/],
  ]
  for (const [what, token, status, message] of cases) {
    const r = await rest(th, 'POST', path, { pageSize: 10 }, token)
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`)
    assert.match(r.body.Message, message, what)
  }
  assert.equal((await rest(th, 'POST', path, { pageSize: 10 }, serviceToken(th, { name: 'registryRead', key: policyKey('registryRead') }))).status, 200)
  assert.equal((await rest(th, 'POST', path, { pageSize: 10 })).status, 200, 'iothubowner')

  const notEdge = await rest(th, 'POST', `/devices/outsider/modules/$edgeHub/devicesAndModulesInDeviceScope?api-version=2021-04-12`, { pageSize: 10 })
  assert.equal(notEdge.status, 404)
  assert.match(notEdge.body.Message, /'outsider' is not an IoT Edge device/)
  const missing = await rest(th, 'POST', `/devices/nobody/modules/$edgeHub/devicesAndModulesInDeviceScope?api-version=2021-04-12`, { pageSize: 10 })
  assert.equal(missing.status, 404)
  assert.match(missing.body.Message, /ErrorCode:DeviceNotFound/)
  const otherModule = await rest(th, 'POST', `/devices/edge1/modules/detector/devicesAndModulesInDeviceScope?api-version=2021-04-12`, { pageSize: 10 })
  assert.equal(otherModule.status, 404)
  const noVersion = await rest(th, 'POST', `${BASE}/devicesAndModulesInDeviceScope`, { pageSize: 10 })
  assert.equal(noVersion.status, 400)

  // A disabled edge device's edge hub is refused.
  const registry = registryOf(th)
  const dev = (await registry.get('edge1')).responseBody
  await registry.update({ ...dev, status: 'disabled' })
  const disabled = await rest(th, 'POST', path, { pageSize: 10 }, await edge.edgeHubToken())
  assert.equal(disabled.status, 401)
  assert.match(disabled.body.Message, /disabled/)
})
