/**
 * IdentityRepository cases. Ordering is by UTF-16 code unit (JavaScript's default sort, SQL `COLLATE BINARY` /
 * `COLLATE "C"`): ids are ASCII, and paging with `after` only works if every adapter sorts the same way.
 */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { IdentityKey, IdentityRecord } from '../identity-repository.js'
import { edgeDeviceRecords, identityRecord, rejectsWithCode } from './fixtures.js'
import type { StoreCase } from './harness.js'

const keyOf = (r: IdentityRecord): string => (r.moduleId === null ? r.deviceId : `${r.deviceId}/${r.moduleId}`)
const withRevision = (r: IdentityRecord, revision: number): IdentityRecord => ({ ...r, revision })

/** Devices whose ids sort differently by code unit and by locale, some with modules. */
const MIXED_IDS = ['dev-b', 'Dev-A', 'dev-a', 'dev.c', 'dev_c', '$dev', 'dev1', 'dev']

export function identityContract(test: StoreCase): void {
  describe('identities', () => {
    test('create stores a device and its modules and returns them with revision 1', async ({ store }) => {
      const input = edgeDeviceRecords('edge1').map((r, i) => withRevision(r, i * 5))
      const created = await store.identities.create(input)
      assert.deepEqual(created, input.map((r) => withRevision(r, 1)))
      assert.deepEqual(await store.identities.get('edge1'), created[0])
      assert.deepEqual(await store.identities.get('edge1', '$edgeAgent'), created[1])
      assert.deepEqual(await store.identities.get('edge1', '$edgeHub'), created[2])
    })

    test('every field round-trips, and optional fields stay absent', async ({ store }) => {
      const full = identityRecord('full', null, {
        status: 'disabled',
        statusReason: 'stolen – reported by ü',
        capabilities: { iotEdge: true },
        deviceScope: 'ms-azure-iot-edge://full-1',
        parentScopes: ['ms-azure-iot-edge://parent-1', 'ms-azure-iot-edge://grand-2'],
        lastActivityTime: '2024-05-02T00:00:00.000Z',
        twin: {
          ...identityRecord('x').twin,
          version: 7,
          tags: { site: { building: 4, floors: [1, 2] }, empty: {} },
          desired: { interval: 30, nested: { a: null, b: 'ü€😀' } },
          reported: { fw: '1.2.3', ok: true },
          modelId: 'dtmi:com:example;1',
        },
      })
      const bare = identityRecord('bare')
      const moduleWithManager = identityRecord('bare', 'm1', {
        managedBy: 'someone',
        configurations: { 'base:1': { status: 'Applied' }, "it's-layered": { status: 'Targeted' } },
      })
      const moduleWithoutManager = identityRecord('bare', 'm2')
      delete moduleWithoutManager.managedBy
      await store.identities.create([full])
      await store.identities.create([bare, moduleWithManager, moduleWithoutManager])
      assert.deepEqual(await store.identities.get('full'), withRevision(full, 1))
      assert.deepEqual(await store.identities.get('bare', null), withRevision(bare, 1))
      assert.deepEqual(await store.identities.get('bare', 'm1'), withRevision(moduleWithManager, 1))
      assert.deepEqual(await store.identities.get('bare', 'm2'), withRevision(moduleWithoutManager, 1))
    })

    test('get tells a device from its modules, and returns undefined for unknown keys', async ({ store }) => {
      await store.identities.create(edgeDeviceRecords('edge1'))
      assert.equal((await store.identities.get('edge1'))?.moduleId, null)
      assert.equal((await store.identities.get('edge1', null))?.moduleId, null)
      assert.equal((await store.identities.get('edge1', '$edgeHub'))?.moduleId, '$edgeHub')
      assert.equal(await store.identities.get('edge1', 'nope'), undefined)
      assert.equal(await store.identities.get('$edgeHub'), undefined)
      assert.equal(await store.identities.get('edge'), undefined)
      assert.equal(await store.identities.get('nope', '$edgeHub'), undefined)
    })

    test('create conflicts when any record exists, and then writes none of them', async ({ store }) => {
      await store.identities.create([identityRecord('d1'), identityRecord('d1', 'm1')])
      await rejectsWithCode(store.identities.create([identityRecord('d2'), identityRecord('d1', 'm1')]), 'ERR_STORE_CONFLICT', 'conflict')
      assert.equal(await store.identities.get('d2'), undefined)
      await rejectsWithCode(store.identities.create([identityRecord('d1'), identityRecord('d1', 'm2')]), 'ERR_STORE_CONFLICT', 'conflict')
      assert.equal(await store.identities.get('d1', 'm2'), undefined)
      // A key twice in one batch: the second "exists already" once the first is in.
      await rejectsWithCode(store.identities.create([identityRecord('d3'), identityRecord('d3', 'm'), identityRecord('d3')]), 'ERR_STORE_CONFLICT', 'conflict')
      assert.equal(await store.identities.get('d3'), undefined)
      assert.equal(await store.identities.get('d3', 'm'), undefined)
      assert.deepEqual((await store.identities.listDevices({ limit: 10 })).map(keyOf), ['d1'])
    })

    test('update is a compare-and-swap on revision', async ({ store }) => {
      const [device] = await store.identities.create([identityRecord('d1'), identityRecord('d1', 'm1')])
      const changed = { ...device!, status: 'disabled' as const, statusReason: 'maintenance', twin: { ...device!.twin, tags: { a: 1 } } }
      const updated = await store.identities.update(changed)
      assert.deepEqual(updated, withRevision(changed, 2))
      assert.deepEqual(await store.identities.get('d1'), updated)
      // A writer that read revision 1 lost the race.
      await rejectsWithCode(store.identities.update({ ...device!, statusReason: 'late' }), 'ERR_STORE_CONFLICT', 'conflict')
      assert.deepEqual(await store.identities.get('d1'), updated)
      // A revision from the future is just as stale.
      await rejectsWithCode(store.identities.update(withRevision(updated, 9)), 'ERR_STORE_CONFLICT', 'conflict')
      assert.deepEqual(await store.identities.update(updated), withRevision(updated, 3))
      // The module was not touched.
      assert.equal((await store.identities.get('d1', 'm1'))?.revision, 1)
    })

    test('update of a module changes only that module', async ({ store }) => {
      const [, m1, m2] = await store.identities.create([identityRecord('d1'), identityRecord('d1', 'm1'), identityRecord('d1', 'm2')])
      const updated = await store.identities.update({ ...m1!, managedBy: 'me' })
      assert.equal(updated.revision, 2)
      assert.deepEqual(await store.identities.get('d1', 'm1'), updated)
      assert.deepEqual(await store.identities.get('d1', 'm2'), m2)
      assert.equal((await store.identities.get('d1'))?.revision, 1)
    })

    test('concurrent updates from the same revision: exactly one wins', async ({ store }) => {
      const [device] = await store.identities.create([identityRecord('d1')])
      const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => store.identities.update({ ...device!, statusReason: `writer ${i}` })))
      const won = results.filter((r) => r.status === 'fulfilled')
      assert.equal(won.length, 1)
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'ERR_STORE_CONFLICT')
      }
      assert.deepEqual(await store.identities.get('d1'), won[0]!.value)
    })

    test('update of a missing record is not found', async ({ store }) => {
      const [device] = await store.identities.create([identityRecord('d1')])
      await rejectsWithCode(store.identities.update(withRevision(identityRecord('ghost'), 1)), 'ERR_STORE_NOT_FOUND', 'not_found')
      await rejectsWithCode(store.identities.update(withRevision(identityRecord('d1', 'ghost'), 1)), 'ERR_STORE_NOT_FOUND', 'not_found')
      await store.identities.delete('d1')
      await rejectsWithCode(store.identities.update(device!), 'ERR_STORE_NOT_FOUND', 'not_found')
      assert.equal(await store.identities.get('d1'), undefined)
    })

    test('delete removes a module, or a device with all its modules', async ({ store }) => {
      await store.identities.create(edgeDeviceRecords('edge'))
      await store.identities.create([identityRecord('edge1'), identityRecord('edge1', 'm')])
      assert.equal(await store.identities.delete('edge', '$edgeHub'), true)
      assert.equal(await store.identities.delete('edge', '$edgeHub'), false)
      assert.equal(await store.identities.get('edge', '$edgeHub'), undefined)
      assert.ok(await store.identities.get('edge'))
      assert.ok(await store.identities.get('edge', '$edgeAgent'))

      assert.equal(await store.identities.delete('edge'), true)
      assert.equal(await store.identities.get('edge'), undefined)
      assert.equal(await store.identities.get('edge', '$edgeAgent'), undefined)
      assert.deepEqual(await store.identities.listModules('edge'), [])
      assert.equal(await store.identities.delete('edge', null), false)
      assert.equal(await store.identities.delete('nope'), false)
      // A device whose id starts with the deleted one is untouched.
      assert.ok(await store.identities.get('edge1'))
      assert.ok(await store.identities.get('edge1', 'm'))
      // The key is free again.
      assert.equal((await store.identities.create([identityRecord('edge')]))[0]?.revision, 1)
    })

    test('listDevices returns devices only, in id order, paged with an exclusive `after`', async ({ store }) => {
      for (const id of MIXED_IDS) await store.identities.create([identityRecord(id), identityRecord(id, 'm')])
      const sorted = [...MIXED_IDS].sort()
      const all = await store.identities.listDevices({ limit: 100 })
      assert.deepEqual(all.map(keyOf), sorted)
      assert.deepEqual(all[0], withRevision(identityRecord(sorted[0]!), 1))

      const paged: string[] = []
      let after: string | undefined
      for (;;) {
        const page = await store.identities.listDevices({ limit: 3, ...(after === undefined ? {} : { after }) })
        assert.ok(page.length <= 3)
        if (page.length === 0) break
        paged.push(...page.map(keyOf))
        after = page[page.length - 1]!.deviceId
      }
      assert.deepEqual(paged, sorted)
      assert.deepEqual((await store.identities.listDevices({ after: 'dev-a', limit: 2 })).map(keyOf), ['dev-b', 'dev.c'])
      assert.deepEqual((await store.identities.listDevices({ after: 'dev-aa', limit: 1 })).map(keyOf), ['dev-b'])
      assert.deepEqual(await store.identities.listDevices({ after: sorted[sorted.length - 1]!, limit: 10 }), [])
      assert.deepEqual(await store.identities.listDevices({ limit: 0 }), [])
    })

    test('listModules returns one device\'s modules in id order', async ({ store }) => {
      await store.identities.create([identityRecord('d'), identityRecord('d', 'zeta'), identityRecord('d', 'Alpha'), identityRecord('d', '$edgeHub'), identityRecord('d', 'alpha')])
      await store.identities.create([identityRecord('d2'), identityRecord('d2', 'other')])
      await store.identities.create([identityRecord('lonely')])
      const modules = await store.identities.listModules('d')
      assert.deepEqual(modules.map(keyOf), ['d/$edgeHub', 'd/Alpha', 'd/alpha', 'd/zeta'])
      assert.deepEqual(modules[1], withRevision(identityRecord('d', 'Alpha'), 1))
      assert.deepEqual(await store.identities.listModules('lonely'), [])
      assert.deepEqual(await store.identities.listModules('nope'), [])
    })

    test('scan pages through devices or modules in (deviceId, moduleId) order', async ({ store }) => {
      await store.identities.create([identityRecord('b'), identityRecord('b', 'm2'), identityRecord('b', 'm1')])
      await store.identities.create([identityRecord('a'), identityRecord('a', 'x')])
      await store.identities.create([identityRecord('c')])
      await store.identities.create([identityRecord('B'), identityRecord('B', 'm')])

      const devices = await store.identities.scan({ modules: false, limit: 10 })
      assert.deepEqual(devices.map(keyOf), ['B', 'a', 'b', 'c'])
      assert.deepEqual((await store.identities.scan({ modules: false, after: { deviceId: 'a', moduleId: null }, limit: 2 })).map(keyOf), ['b', 'c'])

      const modules = await store.identities.scan({ modules: true, limit: 10 })
      assert.deepEqual(modules.map(keyOf), ['B/m', 'a/x', 'b/m1', 'b/m2'])
      assert.deepEqual(modules[2], withRevision(identityRecord('b', 'm1'), 1))

      const paged: string[] = []
      let after: IdentityKey | undefined
      for (;;) {
        const page = await store.identities.scan({ modules: true, limit: 1, ...(after ? { after } : {}) })
        if (page.length === 0) break
        paged.push(...page.map(keyOf))
        after = { deviceId: page[0]!.deviceId, moduleId: page[0]!.moduleId }
      }
      assert.deepEqual(paged, ['B/m', 'a/x', 'b/m1', 'b/m2'])
      assert.deepEqual((await store.identities.scan({ modules: true, after: { deviceId: 'b', moduleId: 'm1' }, limit: 10 })).map(keyOf), ['b/m2'])
      // A device key sorts before that device's modules.
      assert.deepEqual((await store.identities.scan({ modules: true, after: { deviceId: 'b', moduleId: null }, limit: 10 })).map(keyOf), ['b/m1', 'b/m2'])
      assert.deepEqual(await store.identities.scan({ modules: true, after: { deviceId: 'b', moduleId: 'm2' }, limit: 10 }), [])
    })

    test('countDevices counts devices by status, not modules', async ({ store }) => {
      assert.deepEqual(await store.identities.countDevices(), { total: 0, enabled: 0, disabled: 0 })
      await store.identities.create(edgeDeviceRecords('e1'))
      await store.identities.create([identityRecord('d1'), identityRecord('d2', null, { status: 'disabled' }), identityRecord('d2', 'm')])
      await store.identities.create([identityRecord('d3', null, { status: 'disabled' })])
      assert.deepEqual(await store.identities.countDevices(), { total: 4, enabled: 2, disabled: 2 })
      const d1 = await store.identities.get('d1')
      await store.identities.update({ ...d1!, status: 'disabled' })
      await store.identities.delete('d3')
      assert.deepEqual(await store.identities.countDevices(), { total: 3, enabled: 1, disabled: 2 })
    })

    test('recordActivity sets last activity, keeps the revision and ignores unknown identities', async ({ store }) => {
      const [device, module] = await store.identities.create([identityRecord('d1'), identityRecord('d1', 'm1')])
      await store.identities.recordActivity([])
      await store.identities.recordActivity([
        { deviceId: 'd1', moduleId: null, lastActivityTime: '2024-06-01T00:00:01.000Z' },
        { deviceId: 'd1', moduleId: 'm1', lastActivityTime: '2024-06-01T00:00:02.000Z' },
        { deviceId: 'ghost', moduleId: null, lastActivityTime: '2024-06-01T00:00:03.000Z' },
        { deviceId: 'd1', moduleId: 'ghost', lastActivityTime: '2024-06-01T00:00:04.000Z' },
      ])
      assert.deepEqual(await store.identities.get('d1'), { ...device!, lastActivityTime: '2024-06-01T00:00:01.000Z' })
      assert.deepEqual(await store.identities.get('d1', 'm1'), { ...module!, lastActivityTime: '2024-06-01T00:00:02.000Z' })
      assert.equal(await store.identities.get('ghost'), undefined)
      assert.equal(await store.identities.get('d1', 'ghost'), undefined)
      assert.equal((await store.identities.countDevices()).total, 1)
      // Activity is not a write the CAS has to know about: an update from revision 1 still succeeds.
      assert.equal((await store.identities.update({ ...device!, statusReason: 'x' })).revision, 2)
    })
  })
}
