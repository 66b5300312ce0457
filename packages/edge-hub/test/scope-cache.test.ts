/**
 * The device scope cache against a real hub: fetched with the edge hub's own token, kept in a 0600 file, reloaded
 * while the hub is down; module and leaf tokens checked locally; on-demand refresh for unknown identities and
 * rotated keys, rate-limited; revocations reported.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestHub } from '@ledge/testkit'
import { DeviceScopeCache, createDeviceScopeCache } from '../src/scope/device-scope-cache.js'
import { DeviceScopeClient } from '../src/scope/scope-client.js'
import type { ClientIdentity } from '../src/identity.js'
import { registryOf, setupEdge } from './upstream-fixture.js'

test('scope cache: fetch, authenticate module and leaf tokens, refusals', async () => {
  await using th = await startTestHub()
  const edge = await setupEdge(th)
  const dir = await mkdtemp(join(tmpdir(), 'ledge-scope-'))
  try {
    const file = join(dir, 'scope.json')
    const cache = createDeviceScopeCache({ hubHostname: th.host, apiHost: th.host, edgeDeviceId: 'edge1', tokenSource: edge.edgeHubToken, ca: th.caPem, file, pageSize: 2 })
    await cache.refresh()
    assert.equal(cache.size, 6, 'edge1, its three modules, two leaves')
    assert.equal(cache.keysFor({ deviceId: 'leaf1' })?.primaryKey, edge.keys.leaf1)
    assert.equal(cache.keysFor({ deviceId: 'edge1', moduleId: 'detector' })?.primaryKey, edge.keys['edge1/detector'])
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.match(await readFile(file, 'utf8'), /"schemaVersion":1/)

    const detector = { deviceId: 'edge1', moduleId: 'detector' }
    const ok = await cache.authenticate(detector, edge.tokenOf('edge1', 'detector'))
    assert.ok(ok.ok, JSON.stringify(ok))
    assert.ok(ok.ok && ok.expiresAt > Date.now() + 3000_000 && ok.expiresAt < Date.now() + 3700_000, 'expiresAt in epoch ms')
    assert.ok((await cache.authenticate({ deviceId: 'leaf1' }, edge.tokenOf('leaf1'))).ok)
    // The secondary key works too.
    const leaf = (await registryOf(th).get('leaf2')).responseBody
    assert.ok((await cache.authenticate({ deviceId: 'leaf2' }, edge.tokenOf('leaf2', undefined, 3600, leaf.authentication!.symmetricKey!.secondaryKey!))).ok)

    const refusals: [ClientIdentity, string | undefined, string, RegExp][] = [
      [{ deviceId: 'leaf1' }, undefined, 'malformed', /no SAS token/],
      [{ deviceId: 'leaf1' }, 'SharedAccessSignature nonsense', 'malformed', /name=value/],
      [{ deviceId: 'leaf1' }, edge.tokenOf('leaf1', undefined, -5), 'expired', /expired/],
      [{ deviceId: 'leaf1' }, edge.tokenOf('leaf2'), 'wrong_resource', /not for/],
      [{ deviceId: 'leaf1' }, edge.tokenOf('leaf1', undefined, 3600, edge.keys.leaf2), 'bad_signature', /does not match the keys of device 'leaf1'/],
      [detector, edge.tokenOf('edge1'), 'wrong_resource', /not for/],
      [{ deviceId: 'nobody' }, edge.tokenOf('nobody', undefined, 3600, edge.keys.leaf1), 'unknown_identity', /not in the device scope of edge device 'edge1'/],
    ]
    for (const [id, token, refusal, reason] of refusals) {
      const r = await cache.authenticate(id, token)
      assert.equal(r.ok, false)
      assert.equal(!r.ok && r.refusal, refusal, JSON.stringify(r))
      assert.match(!r.ok ? r.reason : '', reason)
    }

    // Disabled leaf: refused after a refresh, and reported to onRevoked.
    const revoked: string[] = []
    cache.onRevoked((id, why) => revoked.push(`${id.deviceId}:${why}`))
    const leaf1 = (await registryOf(th).get('leaf1')).responseBody
    await registryOf(th).update({ ...leaf1, status: 'disabled' })
    await cache.refresh()
    const disabled = await cache.authenticate({ deviceId: 'leaf1' }, edge.tokenOf('leaf1'))
    assert.equal(!disabled.ok && disabled.refusal, 'disabled')
    assert.deepEqual(revoked, ['leaf1:disabled'])
    await cache.stop()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('scope cache: unknown identities and rotated keys are fetched on demand, rate-limited', async () => {
  await using th = await startTestHub()
  const edge = await setupEdge(th)
  const client = new DeviceScopeClient({ hubHostname: th.host, edgeDeviceId: 'edge1', tokenSource: edge.edgeHubToken, ca: th.caPem })
  let single = 0
  const cache = new DeviceScopeCache({
    hubHostname: th.host, edgeDeviceId: 'edge1', onDemandMinIntervalMs: 60_000,
    source: { fetchAll: () => client.fetchAll(), fetchOne: (id) => (single++, client.fetchOne(id)) },
  })
  await cache.refresh()
  const registry = registryOf(th)

  // A leaf added after the refresh connects at once.
  const late = (await registry.create({ deviceId: 'late', deviceScope: edge.scope } as never)).responseBody
  const token = edge.tokenOf('late', undefined, 3600, late.authentication!.symmetricKey!.primaryKey!)
  assert.ok((await cache.authenticate({ deviceId: 'late' }, token)).ok)
  assert.equal(single, 1)

  // An identity that is not in scope is asked for once a minute at most, however often a client retries.
  for (let i = 0; i < 5; i++) assert.equal((await cache.authenticate({ deviceId: 'ghost' }, edge.tokenOf('ghost', undefined, 3600, edge.keys.leaf1))).ok, false)
  assert.equal(single, 2)

  // New keys: the old token fails, a token with the new key is accepted after an on-demand fetch.
  const revoked: string[] = []
  cache.onRevoked((id, why) => revoked.push(`${id.deviceId}:${why}`))
  const leaf2 = (await registry.get('leaf2')).responseBody
  const newKey = Buffer.alloc(32, 7).toString('base64')
  await registry.update({ ...leaf2, authentication: { type: 'sas', symmetricKey: { primaryKey: newKey, secondaryKey: leaf2.authentication!.symmetricKey!.secondaryKey! } } } as never)
  assert.ok((await cache.authenticate({ deviceId: 'leaf2' }, edge.tokenOf('leaf2', undefined, 3600, newKey))).ok)
  assert.deepEqual(revoked, ['leaf2:keys_changed'])
  const old = await cache.authenticate({ deviceId: 'leaf2' }, edge.tokenOf('leaf2'))
  assert.equal(!old.ok && old.refusal, 'bad_signature')
  await cache.stop()
})

test('scope cache: reloaded from its file while the hub is down', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-scope-'))
  const file = join(dir, 'scope.json')
  try {
    const th = await startTestHub()
    const edge = await setupEdge(th)
    const online = createDeviceScopeCache({ hubHostname: th.host, edgeDeviceId: 'edge1', tokenSource: edge.edgeHubToken, ca: th.caPem, file })
    await online.start()
    await online.refresh()
    await online.stop()
    await th.close()

    // A restarted edge hub, the hub unreachable: clients still authenticate from the file.
    const offline = createDeviceScopeCache({ hubHostname: th.host, edgeDeviceId: 'edge1', tokenSource: edge.edgeHubToken, ca: th.caPem, file, timeoutMs: 2000 })
    await offline.start()
    assert.equal(offline.size, 6)
    assert.ok((await offline.authenticate({ deviceId: 'edge1', moduleId: 'detector' }, edge.tokenOf('edge1', 'detector'))).ok)
    assert.ok((await offline.authenticate({ deviceId: 'leaf2' }, edge.tokenOf('leaf2'))).ok)
    await assert.rejects(offline.refresh(), /device scope request failed/)
    assert.equal(offline.size, 6, 'a failed refresh keeps the cache')
    await offline.stop()

    // A file for another edge device is not used.
    const other = createDeviceScopeCache({ hubHostname: th.host, edgeDeviceId: 'edge9', tokenSource: edge.edgeHubToken, file })
    await other.start()
    assert.equal(other.size, 0)
    await other.stop()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
