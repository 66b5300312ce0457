/**
 * Durability: what was written before `close()` is there after reopening, and counters (event offsets, C2D seqs)
 * carry on instead of starting over. Skipped for adapters that give no `reopen`.
 */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { HubStore } from '../hub-store.js'
import { c2dInput, edgeDeviceRecords, eventInput, identityRecord, NON_UTF8, policy } from './fixtures.js'
import type { StoreCase } from './harness.js'
import { byKeyName } from './policy-contract.js'

const T = 1_714_557_600_000

/** Like `test`, but skipped when the adapter gives no `reopen`. */
function durable(test: StoreCase): StoreCase {
  return (name, fn) =>
    test(name, async (s, t) => {
      if (!s.canReopen) return t.skip('the adapter gives no reopen()')
      await fn(s, t)
    })
}

async function snapshot(store: HubStore) {
  return {
    devices: await store.identities.listDevices({ limit: 100 }),
    modules: await store.identities.scan({ modules: true, limit: 100 }),
    counts: await store.identities.countDevices(),
    c2d: await store.c2d.pending('d1', T, 100),
    events: await store.events.read({ from: 0, limit: 100 }),
    bounds: await store.events.bounds(),
    policies: byKeyName(await store.policies.list()),
    sessions: [await store.sessions.get('d1'), await store.sessions.get('d1/m')],
  }
}

export function durabilityContract(test: StoreCase): void {
  const it = durable(test)
  describe('durability (close and reopen)', () => {
    it('everything written survives close and reopen', async (s) => {
      let store = s.store
      await store.identities.create(edgeDeviceRecords('edge1'))
      const [d1] = await store.identities.create([identityRecord('d1', null, { status: 'disabled' }), identityRecord('d1', 'm')])
      await store.identities.update({ ...d1!, twin: { ...d1!.twin, reported: { temp: 21.5 } } })
      await store.identities.recordActivity([{ deviceId: 'd1', moduleId: 'm', lastActivityTime: '2024-06-01T00:00:00.000Z' }])
      await store.identities.create([identityRecord('gone')])
      await store.identities.delete('gone')
      const m = await store.c2d.enqueue(c2dInput('d1', T, { body: NON_UTF8 }), 10)
      await store.c2d.enqueue(c2dInput('d1', T + 1), 10)
      await store.c2d.markDelivered('d1', m.seq)
      await store.events.append([eventInput('d1', null, T, { body: NON_UTF8 }), eventInput('d1', 'm', T + 1, { size: 1000 })])
      await store.events.append([eventInput('edge1', '$edgeHub', T + 2)])
      await store.policies.put(policy('iothubowner'))
      await store.policies.put(policy('device', { rights: ['DeviceConnect'] }))
      await store.sessions.put('d1', ['c2d', 'twinDesired'])
      await store.sessions.put('d1/m', ['inputs'])
      const before = await snapshot(store)

      store = await s.reopen()
      assert.deepEqual(await snapshot(store), before)
      assert.ok((await store.c2d.pending('d1', T, 1))[0]!.body.equals(NON_UTF8))
      // The size total was kept too: trimming to the bytes of all but the first event drops exactly that one.
      const allButFirst = before.events.slice(1).reduce((n, e) => n + e.body.length, 0)
      assert.equal(await store.events.trim({ maxBytes: allButFirst }), 1)
      // Writes work after reopening, and CAS carries on from the stored revision.
      const d1Again = await store.identities.get('d1')
      assert.equal((await store.identities.update(d1Again!)).revision, 3)
    })

    it('event offsets and C2D seqs carry on after reopening, even when nothing was left', async (s) => {
      let store = s.store
      const offsets = await store.events.append([eventInput('d', null, T), eventInput('d', null, T + 1)])
      const { next } = await store.events.bounds()
      await store.events.trim({ maxBytes: 0 })
      const m = await store.c2d.enqueue(c2dInput('d', T), 10)
      await store.c2d.purge('d')

      store = await s.reopen()
      assert.deepEqual(await store.events.bounds(), { first: next, next })
      const again = await store.events.append([eventInput('d', null, T + 2)])
      assert.equal(again[0], next)
      assert.ok(again[0]! > offsets[1]!)
      assert.ok((await store.c2d.enqueue(c2dInput('d', T + 1), 10)).seq > m.seq)

      store = await s.reopen()
      const bounds = await store.events.bounds()
      assert.equal(bounds.first, again[0])
      assert.ok(bounds.next > again[0]!)
      assert.deepEqual((await store.events.read({ from: 0, limit: 10 })).map((e) => e.offset), again)
    })
  })
}
