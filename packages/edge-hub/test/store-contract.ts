/**
 * The contract every MessageStore engine passes (aedes-persistence `abstract.js` style): each engine's test file
 * calls `runMessageStoreContract` with a factory.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { isAppError, TestClock } from '@ledge/common'
import type { Message } from '@ledge/protocol'
import type { FullPolicy, MessageStore, QueueTarget } from '../src/store/message-store.js'

export interface ContractOpenOptions {
  dir: string
  clock: TestClock
  maxBytes?: number
  fullPolicy?: FullPolicy
}

export interface MessageStoreContract {
  name: string
  open(o: ContractOpenOptions): MessageStore | Promise<MessageStore>
}

export function msg(i: number, bytes = 64): Message {
  const body = Buffer.alloc(bytes, i % 251)
  body.write(`#${i}#`)
  return { body, systemProperties: { messageId: `m${i}`, contentType: 'application/json' }, properties: { n: String(i) } }
}

const never = (endpointId: string, priority = 0): QueueTarget => ({ endpointId, priority, expiresAt: Infinity })
const ids = (rs: { message: Message }[]) => rs.map((r) => r.message.properties.n)
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => String(a + i))

/** A store in a temp dir with a TestClock; `reopen()` closes and opens the same dir again. */
async function withStore(c: MessageStoreContract, extra: Partial<ContractOpenOptions>, fn: (h: Harness) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-edge-store-'))
  const clock = extra.clock ?? new TestClock(1_700_000_000_000)
  const h: Harness = {
    dir,
    clock,
    store: await c.open({ ...extra, dir, clock }),
    async reopen() {
      await h.store.close()
      h.store = await c.open({ ...extra, dir, clock })
      return h.store
    },
  }
  try {
    await fn(h)
  } finally {
    await h.store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

interface Harness {
  dir: string
  clock: TestClock
  store: MessageStore
  reopen(): Promise<MessageStore>
}

export function runMessageStoreContract(c: MessageStoreContract): void {
  describe(`MessageStore contract: ${c.name}`, () => {
    it('stores a message with its properties and reads it back', async () => {
      await withStore(c, {}, async ({ store, clock }) => {
        const ref = await store.add(msg(1, 100), [never('upstream'), never('mod/in1')])
        assert.equal(ref.queued, 2)
        assert.ok(ref.offset > 0)
        const [r] = await store.read({ endpointId: 'upstream', priority: 0, limit: 10 })
        assert.ok(r)
        assert.equal(r.offset, ref.offset)
        assert.equal(r.enqueuedAt, clock.now())
        assert.equal(r.expiresAt, Infinity)
        assert.deepEqual(r.message, msg(1, 100))
        assert.equal((await store.read({ endpointId: 'mod/in1', priority: 0, limit: 10 })).length, 1)
        assert.deepEqual(await store.read({ endpointId: 'nobody', priority: 0, limit: 10 }), [])
      })
    })

    it('keeps order per endpoint and priority, and reads from an offset with a limit', async () => {
      await withStore(c, {}, async ({ store }) => {
        const adds = []
        for (let i = 0; i < 300; i++) {
          const targets = i % 3 === 0 ? [never('a', 0), never('b', 1)] : i % 3 === 1 ? [never('a', 1)] : [never('a', 0)]
          adds.push(store.add(msg(i), targets))
        }
        const refs = await Promise.all(adds) // concurrent: one group commit
        for (let i = 1; i < refs.length; i++) assert.ok(refs[i]!.offset > refs[i - 1]!.offset, 'offsets follow the order of add')
        const a0 = await store.read({ endpointId: 'a', priority: 0, limit: 1000 })
        assert.deepEqual(ids(a0), range(0, 300).filter((i) => Number(i) % 3 !== 1))
        assert.deepEqual(ids(await store.read({ endpointId: 'a', priority: 1, limit: 1000 })), range(0, 300).filter((i) => Number(i) % 3 === 1))
        assert.deepEqual(ids(await store.read({ endpointId: 'b', priority: 1, limit: 1000 })), range(0, 300).filter((i) => Number(i) % 3 === 0))
        const page = await store.read({ endpointId: 'a', priority: 0, from: a0[10]!.offset, limit: 5 })
        assert.deepEqual(page.map((r) => r.offset), a0.slice(10, 15).map((r) => r.offset))
      })
    })

    it('checkpoints: read resumes after it, lower offsets are ignored, a message goes when every queue is past it', async () => {
      await withStore(c, {}, async ({ store }) => {
        const refs = []
        for (let i = 0; i < 10; i++) refs.push(await store.add(msg(i), [never('a'), never('b')]))
        await store.checkpoint('a', 0, refs[4]!.offset)
        assert.deepEqual(ids(await store.read({ endpointId: 'a', priority: 0, limit: 100 })), range(5, 10))
        assert.deepEqual(ids(await store.read({ endpointId: 'a', priority: 0, from: 0, limit: 100 })), range(5, 10), 'from never goes before the checkpoint')
        await store.checkpoint('a', 0, refs[2]!.offset) // backwards: ignored
        assert.deepEqual(ids(await store.read({ endpointId: 'a', priority: 0, limit: 100 })), range(5, 10))
        assert.equal(store.stats().messages, 10, 'b still holds all of them')
        await store.checkpoint('b', 0, refs[6]!.offset)
        assert.equal(store.stats().messages, 5, 'messages 0..4 are done everywhere, 5..6 still wanted by a')
        await store.checkpoint('a', 0, refs[9]!.offset + 1_000_000) // past the end: clamped
        assert.equal(store.stats().messages, 3)
        const later = await store.add(msg(10), [never('a')])
        assert.deepEqual(ids(await store.read({ endpointId: 'a', priority: 0, limit: 100 })), ['10'], 'a later message is still delivered')
        assert.ok(later.offset > refs[9]!.offset)
      })
    })

    it('is durable across close and reopen, and never reuses an offset', async () => {
      await withStore(c, {}, async (h) => {
        let last = 0
        for (let i = 0; i < 50; i++) last = (await h.store.add(msg(i), [never('a'), never('b', 3)])).offset
        await h.store.checkpoint('a', 0, last - 20)
        await h.reopen()
        assert.deepEqual(ids(await h.store.read({ endpointId: 'a', priority: 0, limit: 100 })), range(30, 50))
        assert.deepEqual(ids(await h.store.read({ endpointId: 'b', priority: 3, limit: 100 })), range(0, 50))
        const st = h.store.stats()
        assert.equal(st.messages, 50)
        assert.deepEqual(st.queues.map((q) => [q.endpointId, q.priority, q.length]).sort(), [['a', 0, 20], ['b', 3, 50]])
        assert.deepEqual([h.store.queuedFor('a'), h.store.queuedFor('b'), h.store.queuedFor('nobody')], [20, 50, 0])
        await h.store.checkpoint('a', 0, last)
        await h.store.checkpoint('b', 3, last)
        assert.equal(h.store.stats().messages, 0)
        await h.reopen()
        const next = await h.store.add(msg(99), [never('a')])
        assert.ok(next.offset > last, `offset ${next.offset} must be after ${last}`)
        assert.deepEqual(ids(await h.store.read({ endpointId: 'a', priority: 0, limit: 100 })), ['99'])
      })
    })

    it('stores one copy of a message for N endpoints', async () => {
      const fill = async (h: Harness, endpoints: number) => {
        const targets = Array.from({ length: endpoints }, (_, i) => never(`e${i}`))
        const adds = []
        for (let i = 0; i < 2000; i++) adds.push(h.store.add(msg(i, 1024), targets))
        await Promise.all(adds)
        await h.reopen() // settles WAL / logs into their resting size
        return h.store.size()
      }
      let one = 0
      await withStore(c, {}, async (h) => void (one = await fill(h, 1)))
      await withStore(c, {}, async (h) => {
        const five = await fill(h, 5)
        assert.ok(five < one * 1.5, `5 endpoints take ${five} bytes, 1 endpoint ${one}`)
        assert.equal(h.store.stats().messages, 2000)
      })
    })

    it('never returns an expired message, and the cleaner removes it on its own', async () => {
      await withStore(c, {}, async ({ store, clock }) => {
        const t0 = clock.now()
        await store.add(msg(0), [{ endpointId: 'a', priority: 0, expiresAt: t0 + 1000 }, never('b')])
        await store.add(msg(1), [{ endpointId: 'a', priority: 0, expiresAt: t0 + 5000 }])
        await store.add(msg(2), [{ endpointId: 'a', priority: 0, expiresAt: t0 + 60_000 }])
        const none = await store.add(msg(3), [{ endpointId: 'a', priority: 0, expiresAt: t0 - 1 }])
        assert.deepEqual(none, { offset: -1, queued: 0 }, 'already expired: not stored')
        clock.advance(1000)
        assert.deepEqual(ids(await store.read({ endpointId: 'a', priority: 0, limit: 10 })), ['1', '2'], 'expired at t0+1000 is not read')
        assert.deepEqual(ids(await store.read({ endpointId: 'b', priority: 0, limit: 10 })), ['0'], 'b has no TTL on it')
        clock.advance(4500) // the cleaner's timer fires on its own
        await settle(store)
        assert.deepEqual(ids(await store.read({ endpointId: 'a', priority: 0, limit: 10 })), ['2'])
        const a = store.stats().queues.find((q) => q.endpointId === 'a')
        assert.equal(a?.length, 1, 'the expired references are gone from the queue')
        assert.equal(store.stats().messages, 2, 'message 1 deleted; message 0 still held by b')
        assert.ok(store.stats().expired >= 2)
        clock.advance(60_000)
        await store.expire()
        assert.deepEqual(await store.read({ endpointId: 'a', priority: 0, limit: 10 }), [])
        assert.equal(store.stats().queues.find((q) => q.endpointId === 'a')?.length, 0)
        await store.checkpoint('b', 0, Number.MAX_SAFE_INTEGER)
        assert.equal(store.stats().messages, 0)
      })
    })

    it('refuses with ERR_STORE_FULL when the quota is reached (backpressure), losing nothing accepted', async () => {
      const maxBytes = 2 * 1024 * 1024
      await withStore(c, { maxBytes, fullPolicy: 'backpressure' }, async (h) => {
        const accepted: number[] = []
        let refusal: unknown
        for (let i = 0; i < 10_000 && !refusal; i++) {
          const wave = await Promise.allSettled(Array.from({ length: 20 }, (_, k) => h.store.add(msg(i * 20 + k, 1024), [never('a'), never('b')])))
          for (const [k, r] of wave.entries()) {
            if (r.status === 'fulfilled') accepted.push(i * 20 + k)
            else refusal ??= r.reason
          }
        }
        assert.ok(isAppError(refusal), `expected an AppError, got ${String(refusal)}`)
        assert.equal(refusal.code, 'ERR_STORE_FULL')
        assert.equal(refusal.kind, 'throttled')
        assert.match(refusal.message, /quota/)
        assert.ok(accepted.length > 500, `only ${accepted.length} accepted under a 2 MiB quota`)
        assert.ok(h.store.size() <= maxBytes, `files ${h.store.size()} > quota ${maxBytes}`)
        assert.ok(h.store.stats().refused > 0)
        assert.equal(h.store.stats().dropped, 0)
        await h.reopen()
        assert.ok(h.store.size() <= maxBytes)
        const got = ids(await h.store.read({ endpointId: 'a', priority: 0, limit: 100_000 }))
        assert.deepEqual(got, accepted.map(String), 'every accepted message is there, in order')
        // Delivering frees room again.
        await h.store.checkpoint('a', 0, Number.MAX_SAFE_INTEGER)
        await h.store.checkpoint('b', 0, Number.MAX_SAFE_INTEGER)
        await h.store.expire()
        await h.store.add(msg(1, 1024), [never('a')])
      })
    })

    it('drops the oldest messages when the quota is reached (drop-oldest), counting them', async () => {
      const maxBytes = 2 * 1024 * 1024
      await withStore(c, { maxBytes, fullPolicy: 'drop-oldest' }, async (h) => {
        const total = 6000 // ~3 times the quota
        for (let i = 0; i < total; i += 50) {
          await Promise.all(Array.from({ length: 50 }, (_, k) => h.store.add(msg(i + k, 1024), [never('a')])))
          assert.ok(h.store.size() <= maxBytes, `files ${h.store.size()} > quota ${maxBytes} after ${i + 50}`)
        }
        const st = h.store.stats()
        assert.ok(st.dropped > 0)
        assert.equal(st.refused, 0)
        const got = ids(await h.store.read({ endpointId: 'a', priority: 0, limit: 100_000 }))
        assert.equal(got.length + st.dropped, total)
        assert.deepEqual(got, range(total - got.length, total), 'what is left is the newest, in order')
        assert.equal(st.queues[0]?.length, got.length)
      })
    })

    it('removes a queue and the messages only it held', async () => {
      await withStore(c, {}, async (h) => {
        for (let i = 0; i < 10; i++) await h.store.add(msg(i), i < 5 ? [never('a')] : [never('a'), never('b')])
        await h.store.removeQueue('a', 0)
        assert.equal(h.store.stats().messages, 5)
        assert.deepEqual(await h.store.read({ endpointId: 'a', priority: 0, limit: 10 }), [])
        await h.reopen()
        assert.deepEqual(h.store.stats().queues.map((q) => q.endpointId), ['b'])
        assert.deepEqual(ids(await h.store.read({ endpointId: 'b', priority: 0, limit: 10 })), range(5, 10))
      })
    })

    it('rejects adds after close', async () => {
      await withStore(c, {}, async (h) => {
        await h.store.close()
        await assert.rejects(h.store.add(msg(1), [never('a')]), { code: 'ERR_STORE_CLOSED' })
        h.store = await c.open({ dir: h.dir, clock: h.clock })
      })
    })
  })
}

/** Lets the work a timer started (the cleaner) finish, without running it again. */
async function settle(_store: MessageStore): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
  await new Promise((r) => setTimeout(r, 20))
}
