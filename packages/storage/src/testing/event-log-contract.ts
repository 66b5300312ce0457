/**
 * EventLog cases. Pinned where the port leaves room:
 * - `read` filters: no `deviceId` = every event; `deviceId` alone = the device's own events and its modules';
 *   `moduleId: null` = the device's own only; `moduleId: 'm'` = that module's only;
 * - "oldest" for the size trim means the lowest offsets; the time trim removes every event with
 *   `enqueuedTime < olderThan`;
 * - offsets need not be consecutive, and need not start at any particular number.
 */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { EventInput, EventRecord } from '../event-log.js'
import { eventInput, NON_UTF8 } from './fixtures.js'
import type { StoreCase } from './harness.js'

const T = 1_714_557_600_000
const offsets = (records: readonly EventRecord[]): number[] => records.map((r) => r.offset)
const withOffsets = (events: readonly EventInput[], at: readonly number[]): EventRecord[] => events.map((e, i) => ({ ...e, offset: at[i]! }))

function assertIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, `offsets must increase: ${values.join(', ')}`)
  for (const v of values) assert.ok(Number.isSafeInteger(v), `offset ${v} is an integer`)
}

export function eventLogContract(test: StoreCase): void {
  describe('event log', () => {
    test('an empty log has first === next and reads nothing', async ({ store }) => {
      const b = await store.events.bounds()
      assert.equal(b.first, b.next)
      assert.deepEqual(await store.events.read({ from: 0, limit: 10 }), [])
      assert.deepEqual(await store.events.read({ from: b.next, limit: 10 }), [])
      assert.equal(await store.events.trim({ olderThan: T, maxBytes: 0 }), 0)
    })

    test('append returns increasing offsets across calls; next is the offset the next append gets', async ({ store }) => {
      const before = await store.events.bounds()
      const first = await store.events.append([eventInput('d', null, T), eventInput('d', null, T + 1), eventInput('e', null, T + 2)])
      assert.equal(first.length, 3)
      assert.equal(first[0], before.next)
      assertIncreasing(first)
      const afterFirst = await store.events.bounds()
      assert.equal(afterFirst.first, first[0])
      assert.ok(afterFirst.next > first[2]!)
      assert.deepEqual(await store.events.append([]), [])
      assert.deepEqual(await store.events.bounds(), afterFirst)
      const second = await store.events.append([eventInput('d', null, T + 3)])
      assert.equal(second[0], afterFirst.next)
      assertIncreasing([...first, ...second])
    })

    test('read returns events from an offset, in order, up to the limit', async ({ store }) => {
      const events = Array.from({ length: 10 }, (_, i) => eventInput(`d${i % 3}`, null, T + i))
      const at = await store.events.append(events.slice(0, 4))
      at.push(...(await store.events.append(events.slice(4))))
      const records = withOffsets(events, at)
      assert.deepEqual(await store.events.read({ from: 0, limit: 100 }), records)
      assert.deepEqual(await store.events.read({ from: at[3]!, limit: 4 }), records.slice(3, 7))
      assert.deepEqual(await store.events.read({ from: at[9]!, limit: 100 }), records.slice(9))
      assert.deepEqual(await store.events.read({ from: at[9]! + 1, limit: 100 }), [])
      assert.deepEqual(await store.events.read({ from: 0, limit: 0 }), [])
    })

    test('read filters by device, and by module', async ({ store }) => {
      const events = [
        eventInput('d', null, T), eventInput('d', 'm1', T + 1), eventInput('dd', null, T + 2), eventInput('d', 'm2', T + 3),
        eventInput('d', null, T + 4), eventInput('x', 'm1', T + 5), eventInput('d', 'm1', T + 6),
      ]
      const records = withOffsets(events, await store.events.append(events))
      const pick = (...i: number[]): EventRecord[] => i.map((n) => records[n]!)
      assert.deepEqual(await store.events.read({ from: 0, limit: 100, deviceId: 'd' }), pick(0, 1, 3, 4, 6))
      assert.deepEqual(await store.events.read({ from: 0, limit: 100, deviceId: 'd', moduleId: null }), pick(0, 4))
      assert.deepEqual(await store.events.read({ from: 0, limit: 100, deviceId: 'd', moduleId: 'm1' }), pick(1, 6))
      assert.deepEqual(await store.events.read({ from: records[2]!.offset, limit: 2, deviceId: 'd' }), pick(3, 4))
      assert.deepEqual(await store.events.read({ from: records[2]!.offset, limit: 1, deviceId: 'd', moduleId: 'm1' }), pick(6))
      assert.deepEqual(await store.events.read({ from: 0, limit: 100, deviceId: 'nobody' }), [])
      assert.deepEqual(await store.events.read({ from: 0, limit: 100, deviceId: 'x', moduleId: null }), [])
    })

    test('bodies round-trip byte-exact, properties and module ids as given', async ({ store }) => {
      const big = Buffer.alloc(256 * 1024)
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 256
      const events = [
        eventInput('d', null, T, { body: NON_UTF8 }),
        eventInput('d', 'm', T + 1, { body: Buffer.alloc(0), properties: {}, systemProperties: {} }),
        eventInput('d', null, T + 2, { body: big, properties: { 'ü key': 'välue €😀', empty: '', 'a&b=c': '%2F' }, systemProperties: { messageId: 'm', correlationId: 'c', contentType: 'application/json', contentEncoding: 'utf-8', outputName: 'out', connectionDeviceId: 'd', enqueuedTimeUtc: '2024-05-01T10:00:00.002Z' } }),
        // A view into a larger buffer: only the viewed bytes belong to the event.
        eventInput('d', null, T + 3, { body: Buffer.from(NON_UTF8.buffer, NON_UTF8.byteOffset + 1, 4) }),
      ]
      const at = await store.events.append(events)
      const back = await store.events.read({ from: 0, limit: 10 })
      assert.equal(back.length, 4)
      back.forEach((r, i) => {
        assert.ok(Buffer.isBuffer(r.body), 'body is a Buffer')
        assert.ok(r.body.equals(events[i]!.body), `body ${i} is byte-exact`)
        assert.deepEqual({ ...r, body: null }, { ...events[i]!, body: null, offset: at[i] })
      })
    })

    test('trim by time removes events enqueued before the cut-off', async ({ store }) => {
      const at = await store.events.append([0, 1, 2, 3, 4].map((i) => eventInput('d', null, T + i * 1000)))
      const { next } = await store.events.bounds()
      assert.equal(await store.events.trim({ olderThan: T + 2000 }), 2)
      assert.deepEqual(await store.events.bounds(), { first: at[2], next })
      assert.deepEqual(offsets(await store.events.read({ from: 0, limit: 10 })), at.slice(2))
      assert.equal(await store.events.trim({ olderThan: T + 2000 }), 0)
      assert.equal(await store.events.trim({}), 0)
    })

    test('trim by size removes the oldest events until the bodies fit', async ({ store }) => {
      const at = await store.events.append([0, 1, 2, 3, 4].map((i) => eventInput('d', null, T + i, { size: 100 })))
      assert.equal(await store.events.trim({ maxBytes: 500 }), 0)
      assert.equal(await store.events.trim({ maxBytes: 300 }), 2)
      assert.deepEqual(offsets(await store.events.read({ from: 0, limit: 10 })), at.slice(2))
      assert.equal(await store.events.trim({ maxBytes: 250 }), 1)
      assert.equal((await store.events.bounds()).first, at[3])
      // The running total follows appends and trims: 2 × 100 left, plus 3 × 50.
      const more = await store.events.append([5, 6, 7].map((i) => eventInput('d', 'm', T + i, { size: 50 })))
      assert.equal(await store.events.trim({ maxBytes: 300 }), 1)
      assert.deepEqual(offsets(await store.events.read({ from: 0, limit: 10 })), [at[4]!, ...more])
      assert.equal(await store.events.trim({ maxBytes: 149 }), 2)
      assert.deepEqual(offsets(await store.events.read({ from: 0, limit: 10 })), more.slice(1))
    })

    test('trim by time and size together: time first, then size', async ({ store }) => {
      const at = await store.events.append([0, 1, 2, 3, 4, 5].map((i) => eventInput('d', null, T + i * 1000, { size: 10 * (i + 1) })))
      // Time removes offsets 0 and 1 (10 + 20 bytes); 30 + 40 + 50 + 60 = 180 remain; 100 needs two more.
      assert.equal(await store.events.trim({ olderThan: T + 2000, maxBytes: 110 }), 4)
      assert.deepEqual(offsets(await store.events.read({ from: 0, limit: 10 })), at.slice(4))
    })

    test('offsets are never reused, even when everything was trimmed', async ({ store }) => {
      const at = await store.events.append([eventInput('d', null, T), eventInput('d', null, T + 1)])
      const { next } = await store.events.bounds()
      assert.equal(await store.events.trim({ maxBytes: 0 }), 2)
      assert.deepEqual(await store.events.bounds(), { first: next, next })
      assert.deepEqual(await store.events.read({ from: 0, limit: 10 }), [])
      const again = await store.events.append([eventInput('d', null, T + 2)])
      assert.equal(again[0], next)
      assert.ok(again[0]! > at[1]!)
      assert.deepEqual((await store.events.bounds()).first, again[0])
    })
  })
}
