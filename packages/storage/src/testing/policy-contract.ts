/** PolicyRepository cases. `list` order is not part of the port, so lists are compared sorted by keyName. */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { SharedAccessPolicy } from '../policy-repository.js'
import { policy } from './fixtures.js'
import type { StoreCase } from './harness.js'

export const byKeyName = (list: readonly SharedAccessPolicy[]): SharedAccessPolicy[] =>
  [...list].sort((a, b) => (a.keyName < b.keyName ? -1 : a.keyName > b.keyName ? 1 : 0))

export function policyContract(test: StoreCase): void {
  describe('policies', () => {
    test('an empty repository lists nothing and finds nothing', async ({ store }) => {
      assert.deepEqual(await store.policies.list(), [])
      assert.equal(await store.policies.get('iothubowner'), undefined)
      assert.equal(await store.policies.delete('iothubowner'), false)
    })

    test('put inserts, get and list return what was put', async ({ store }) => {
      const owner = policy('iothubowner', { rights: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'] })
      const device = policy('device', { rights: ['DeviceConnect'] })
      const none = policy('none', { rights: [] })
      for (const p of [owner, device, none]) await store.policies.put(p)
      assert.deepEqual(await store.policies.get('iothubowner'), owner)
      assert.deepEqual(await store.policies.get('none'), none)
      assert.equal(await store.policies.get('IotHubOwner'), undefined)
      assert.deepEqual(byKeyName(await store.policies.list()), [device, owner, none])
    })

    test('put replaces a policy with the same keyName', async ({ store }) => {
      await store.policies.put(policy('service', { rights: ['ServiceConnect'] }))
      const rotated = policy('service', { primaryKey: 'bmV3LXByaW1hcnk=', secondaryKey: 'bmV3LXNlY29uZGFyeQ==', rights: ['ServiceConnect', 'RegistryRead'] })
      await store.policies.put(rotated)
      assert.deepEqual(await store.policies.get('service'), rotated)
      assert.deepEqual(await store.policies.list(), [rotated])
    })

    test('delete removes one policy and tells whether it was there', async ({ store }) => {
      await store.policies.put(policy('a'))
      await store.policies.put(policy('b'))
      assert.equal(await store.policies.delete('a'), true)
      assert.equal(await store.policies.delete('a'), false)
      assert.equal(await store.policies.get('a'), undefined)
      assert.deepEqual(await store.policies.list(), [policy('b')])
    })
  })
}
