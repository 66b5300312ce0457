/** `ping()`: what health checks ask of a store. */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { AppError } from '@ledge/common'
import type { StoreCase } from './harness.js'

export function pingContract(test: StoreCase): void {
  describe('ping', () => {
    test('resolves while the store is open', async ({ store }) => {
      assert.equal(await store.ping(), undefined)
    })

    test('rejects with ERR_STORE_UNAVAILABLE once the store is closed', async ({ store }) => {
      await store.close()
      await assert.rejects(store.ping(), (err: AppError) => {
        assert.equal(err.code, 'ERR_STORE_UNAVAILABLE')
        assert.equal(err.kind, 'unavailable')
        return true
      })
    })
  })
}
