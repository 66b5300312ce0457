/** ConfigurationRepository cases: create, compare-and-swap update on the etag, list order, delete, durability. */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { ConfigurationRecord } from '../configuration-repository.js'
import type { StoreCase } from './harness.js'

export function configurationRecord(id: string, over: Partial<ConfigurationRecord> = {}): ConfigurationRecord {
  return {
    id,
    modulesContent: { $edgeAgent: { 'properties.desired': { modules: { a: { type: 'process' } } } }, $edgeHub: { 'properties.desired': { routes: {} } } },
    targetCondition: "tags.environment='prod'",
    priority: 10,
    layered: false,
    labels: { team: 'vision' },
    metricQueries: { ok: "SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent'" },
    createdTimeUtc: '2026-11-24T00:00:00.000Z',
    lastUpdatedTimeUtc: '2026-11-24T00:00:00.000Z',
    etag: `etag-${id}-1`,
    ...over,
  }
}

export function configurationContract(test: StoreCase): void {
  describe('configurations', () => {
    test('create, get and list (ordered by id); a second create of the same id conflicts', async ({ store }) => {
      const b = configurationRecord('b')
      const a = configurationRecord('a', { layered: true, priority: 0 })
      await store.configurations.create(b)
      await store.configurations.create(a)
      assert.deepEqual(await store.configurations.get('a'), a)
      assert.equal(await store.configurations.get('c'), undefined)
      assert.deepEqual(await store.configurations.list(), [a, b])
      await assert.rejects(store.configurations.create(configurationRecord('a')), { code: 'ERR_STORE_CONFLICT' })
      assert.deepEqual(await store.configurations.get('a'), a)
    })

    test('update is a compare-and-swap on the etag; a missing id is not found', async ({ store }) => {
      await store.configurations.create(configurationRecord('a'))
      const next = configurationRecord('a', { priority: 20, etag: 'etag-a-2' })
      await store.configurations.update(next, 'etag-a-1')
      assert.deepEqual(await store.configurations.get('a'), next)
      await assert.rejects(store.configurations.update(configurationRecord('a', { etag: 'etag-a-3' }), 'etag-a-1'), { code: 'ERR_STORE_CONFLICT' })
      assert.deepEqual(await store.configurations.get('a'), next)
      await assert.rejects(store.configurations.update(configurationRecord('zz'), 'etag-zz-1'), { code: 'ERR_STORE_NOT_FOUND' })
    })

    test('delete removes one and tells whether it was there; records survive a reopen', async (s, t) => {
      await s.store.configurations.create(configurationRecord('a'))
      await s.store.configurations.create(configurationRecord('b'))
      assert.equal(await s.store.configurations.delete('a'), true)
      assert.equal(await s.store.configurations.delete('a'), false)
      if (!s.canReopen) return t.skip('the adapter gives no reopen()')
      const again = await s.reopen()
      assert.deepEqual(await again.configurations.list(), [configurationRecord('b')])
    })
  })
}
