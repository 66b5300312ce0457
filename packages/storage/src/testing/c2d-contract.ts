/**
 * C2dQueue cases. Two points the port leaves open are pinned here so that adapters agree:
 * - a message is expired once `now > expiryTime` (at `now === expiryTime` it is still pending, like
 *   `expiryTimeUtc`, "dropped after this instant");
 * - `enqueue` has no `now`: the depth limit counts the messages unexpired at the new message's `enqueuedTime`.
 */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { C2dRecord } from '../c2d-queue.js'
import { c2dInput, NON_UTF8, rejectsWithCode } from './fixtures.js'
import type { StoreCase } from './harness.js'

const T = 1_714_557_600_000 // 2024-05-01T10:00:00Z
const seqs = (records: readonly C2dRecord[]): number[] => records.map((r) => r.seq)

export function c2dContract(test: StoreCase): void {
  describe('c2d queue', () => {
    test('enqueue assigns increasing seqs; pending is FIFO per device', async ({ store }) => {
      const a1 = await store.c2d.enqueue(c2dInput('a', T), 10)
      const b1 = await store.c2d.enqueue(c2dInput('b', T + 1), 10)
      const a2 = await store.c2d.enqueue(c2dInput('a', T + 2), 10)
      const a3 = await store.c2d.enqueue(c2dInput('a', T + 3), 10)
      assert.deepEqual(a1, { ...c2dInput('a', T), seq: a1.seq, deliveryCount: 0 })
      assert.ok(a1.seq < b1.seq && b1.seq < a2.seq && a2.seq < a3.seq, 'seq is strictly increasing across devices')
      assert.deepEqual(await store.c2d.pending('a', T + 3, 10), [a1, a2, a3])
      assert.deepEqual(await store.c2d.pending('b', T + 3, 10), [b1])
      assert.deepEqual(await store.c2d.pending('a', T + 3, 2), [a1, a2])
      assert.deepEqual(await store.c2d.pending('nobody', T, 10), [])
      assert.equal(await store.c2d.count('a', T + 3), 3)
      assert.equal(await store.c2d.count('nobody', T), 0)
    })

    test('bodies and properties round-trip byte-exact', async ({ store }) => {
      const odd = c2dInput('d', T, { body: NON_UTF8, properties: { 'ü key': 'välue €', empty: '', 'a&b=c': '%20' }, systemProperties: { messageId: 'ü', correlationId: 'c', contentType: 'application/octet-stream', expiryTimeUtc: '2024-05-01T11:00:00.000Z' } })
      const empty = c2dInput('d', T + 1, { body: Buffer.alloc(0), properties: {}, systemProperties: {} })
      await store.c2d.enqueue(odd, 10)
      await store.c2d.enqueue(empty, 10)
      const [first, second] = await store.c2d.pending('d', T, 10)
      assert.ok(Buffer.isBuffer(first!.body))
      assert.ok(first!.body.equals(NON_UTF8))
      assert.deepEqual({ ...first!, body: null }, { ...odd, body: null, seq: first!.seq, deliveryCount: 0 })
      assert.equal(second!.body.length, 0)
      assert.deepEqual(second!.properties, {})
      assert.deepEqual(second!.systemProperties, {})
    })

    test('a full queue rejects with ERR_QUEUE_FULL and stores nothing', async ({ store }) => {
      await store.c2d.enqueue(c2dInput('d', T), 2)
      await store.c2d.enqueue(c2dInput('d', T + 1), 2)
      await rejectsWithCode(store.c2d.enqueue(c2dInput('d', T + 2), 2), 'ERR_QUEUE_FULL', 'throttled')
      assert.equal(await store.c2d.count('d', T + 2), 2)
      assert.deepEqual((await store.c2d.pending('d', T + 2, 10)).map((r) => r.enqueuedTime), [T, T + 1])
      // Other devices have their own depth.
      await store.c2d.enqueue(c2dInput('other', T + 2), 2)
      // A smaller limit than the queue already holds still refuses.
      await rejectsWithCode(store.c2d.enqueue(c2dInput('d', T + 2), 1), 'ERR_QUEUE_FULL', 'throttled')
      await rejectsWithCode(store.c2d.enqueue(c2dInput('empty', T), 0), 'ERR_QUEUE_FULL', 'throttled')
      assert.equal(await store.c2d.count('empty', T), 0)
    })

    test('expired messages do not count toward the depth', async ({ store }) => {
      await store.c2d.enqueue(c2dInput('d', T, { ttlMs: 1000 }), 2)
      await store.c2d.enqueue(c2dInput('d', T, { ttlMs: 5000 }), 2)
      // At T + 1000 the first is still live (expiry is inclusive) ...
      await rejectsWithCode(store.c2d.enqueue(c2dInput('d', T + 1000), 2), 'ERR_QUEUE_FULL', 'throttled')
      // ... one millisecond later it is not.
      const next = await store.c2d.enqueue(c2dInput('d', T + 1001), 2)
      assert.deepEqual(seqs(await store.c2d.pending('d', T + 1001, 10)).at(-1), next.seq)
    })

    test('pending and count leave out expired messages', async ({ store }) => {
      const short = await store.c2d.enqueue(c2dInput('d', T, { ttlMs: 1000 }), 10)
      const long = await store.c2d.enqueue(c2dInput('d', T + 1, { ttlMs: 10_000 }), 10)
      assert.deepEqual(seqs(await store.c2d.pending('d', T + 1000, 10)), [short.seq, long.seq])
      assert.equal(await store.c2d.count('d', T + 1000), 2)
      assert.deepEqual(seqs(await store.c2d.pending('d', T + 1001, 10)), [long.seq])
      assert.equal(await store.c2d.count('d', T + 1001), 1)
      assert.deepEqual(await store.c2d.pending('d', T + 20_000, 10), [])
      assert.equal(await store.c2d.count('d', T + 20_000), 0)
      // The limit applies to unexpired messages only.
      assert.deepEqual(seqs(await store.c2d.pending('d', T + 1001, 1)), [long.seq])
    })

    test('complete removes one message of one device', async ({ store }) => {
      const m1 = await store.c2d.enqueue(c2dInput('d', T), 10)
      const m2 = await store.c2d.enqueue(c2dInput('d', T + 1), 10)
      assert.equal(await store.c2d.complete('other', m1.seq), false)
      assert.equal(await store.c2d.complete('d', m1.seq), true)
      assert.equal(await store.c2d.complete('d', m1.seq), false)
      assert.equal(await store.c2d.complete('d', m2.seq + 1000), false)
      assert.deepEqual(await store.c2d.pending('d', T, 10), [m2])
    })

    test('markDelivered counts delivery attempts', async ({ store }) => {
      const m1 = await store.c2d.enqueue(c2dInput('d', T), 10)
      const m2 = await store.c2d.enqueue(c2dInput('d', T + 1), 10)
      await store.c2d.markDelivered('d', m1.seq)
      await store.c2d.markDelivered('d', m1.seq)
      await store.c2d.markDelivered('d', m2.seq)
      await store.c2d.markDelivered('other', m2.seq) // another device's message: no effect
      await store.c2d.markDelivered('d', m2.seq + 1000) // gone or never there: no effect, no error
      assert.deepEqual(await store.c2d.pending('d', T, 10), [{ ...m1, deliveryCount: 2 }, { ...m2, deliveryCount: 1 }])
    })

    test('purge removes every message of one device, expired ones included', async ({ store }) => {
      await store.c2d.enqueue(c2dInput('d', T, { ttlMs: 10 }), 10)
      await store.c2d.enqueue(c2dInput('d', T + 1), 10)
      await store.c2d.enqueue(c2dInput('d', T + 2), 10)
      const kept = await store.c2d.enqueue(c2dInput('other', T), 10)
      assert.equal(await store.c2d.purge('d'), 3)
      assert.equal(await store.c2d.purge('d'), 0)
      assert.equal(await store.c2d.count('d', T), 0)
      assert.deepEqual(await store.c2d.pending('other', T, 10), [kept])
    })

    test('expire removes the expired messages of every device', async ({ store }) => {
      await store.c2d.enqueue(c2dInput('a', T, { ttlMs: 100 }), 10)
      const a2 = await store.c2d.enqueue(c2dInput('a', T, { ttlMs: 200 }), 10)
      await store.c2d.enqueue(c2dInput('b', T, { ttlMs: 50 }), 10)
      const b2 = await store.c2d.enqueue(c2dInput('b', T, { ttlMs: 1000 }), 10)
      assert.equal(await store.c2d.expire(T + 150), 2)
      assert.equal(await store.c2d.expire(T + 150), 0)
      // The purge of expired messages is visible with any `now`: they are gone, not just hidden.
      assert.deepEqual(seqs(await store.c2d.pending('a', T, 10)), [a2.seq])
      assert.deepEqual(seqs(await store.c2d.pending('b', T, 10)), [b2.seq])
      assert.equal(await store.c2d.expire(T + 200), 0, 'a message expiring at `now` is not expired yet')
      assert.equal(await store.c2d.expire(T + 500), 1)
      assert.equal(await store.c2d.count('b', T), 1)
      assert.equal(await store.c2d.count('a', T), 0)
    })

    test('seqs are never reused, even after the newest message is removed', async ({ store }) => {
      const m1 = await store.c2d.enqueue(c2dInput('d', T), 10)
      const m2 = await store.c2d.enqueue(c2dInput('d', T + 1), 10)
      await store.c2d.complete('d', m2.seq)
      const m3 = await store.c2d.enqueue(c2dInput('d', T + 2), 10)
      assert.ok(m3.seq > m2.seq)
      await store.c2d.purge('d')
      const m4 = await store.c2d.enqueue(c2dInput('d', T + 3), 10)
      assert.ok(m4.seq > m3.seq && m3.seq > m1.seq)
    })
  })
}
