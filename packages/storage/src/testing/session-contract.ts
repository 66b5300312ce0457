/** SessionRepository cases. */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { StoreCase } from './harness.js'

export function sessionContract(test: StoreCase): void {
  describe('sessions', () => {
    test('an unknown session is undefined; delete of it is false', async ({ store }) => {
      assert.equal(await store.sessions.get('d1'), undefined)
      assert.equal(await store.sessions.delete('d1'), false)
    })

    test('put stores and replaces the subscriptions; an empty list is a session too', async ({ store }) => {
      await store.sessions.put('d1', ['c2d', 'methods'])
      assert.deepEqual(await store.sessions.get('d1'), ['c2d', 'methods'])
      await store.sessions.put('d1', ['twinResponses'])
      assert.deepEqual(await store.sessions.get('d1'), ['twinResponses'])
      await store.sessions.put('d2/m1', [])
      assert.deepEqual(await store.sessions.get('d2/m1'), [])
      assert.equal(await store.sessions.delete('d1'), true)
      assert.equal(await store.sessions.get('d1'), undefined)
    })

    test('deleteForDevice removes the device and its modules, not devices with a longer id', async ({ store }) => {
      for (const id of ['cam', 'cam/detector', 'cam/camera', 'cam2', 'cam2/x', 'cam_x']) await store.sessions.put(id, ['methods'])
      assert.equal(await store.sessions.deleteForDevice('cam'), 3)
      assert.equal(await store.sessions.get('cam'), undefined)
      assert.equal(await store.sessions.get('cam/detector'), undefined)
      assert.deepEqual(await store.sessions.get('cam2'), ['methods'])
      assert.deepEqual(await store.sessions.get('cam2/x'), ['methods'])
      assert.deepEqual(await store.sessions.get('cam_x'), ['methods'])
    })
  })
}
