import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { EndpointExecutor, type Sink } from '../src/store/endpoint-executor.js'
import { openLogMessageStore } from '../src/store/log/log-message-store.js'
import type { MessageStore, QueuedMessage } from '../src/store/message-store.js'
import { msg } from './store-contract.js'

const fast = { initialMs: 2, maxMs: 10, jitter: 0.5 }

async function withStore(fn: (store: MessageStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-executor-'))
  const store = await openLogMessageStore({ dir, minFreeDiskBytes: 0, durability: 'os' })
  try {
    await fn(store, dir)
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function fill(store: MessageStore, n: number, priority = 0, first = 0, expiresAt = Infinity): Promise<void> {
  for (let i = first; i < first + n; i++) await store.add(msg(i), [{ endpointId: 'ep', priority, expiresAt }])
}

/** Resolves once `cond` holds (polling), or fails after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > 5000) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const ids = (ms: readonly QueuedMessage[]) => ms.map((m) => Number(m.message.properties.n))
const queueLength = (store: MessageStore, priority = 0) => store.stats().queues.find((q) => q.endpointId === 'ep' && q.priority === priority)?.length ?? 0

describe('EndpointExecutor', () => {
  it('delivers in order and checkpoints what the sink took', async () => {
    await withStore(async (store) => {
      await fill(store, 250)
      const got: number[] = []
      const sink: Sink = async (batch) => {
        got.push(...ids(batch))
        return { succeeded: batch.map((m) => m.offset), failed: [], invalid: [] }
      }
      const ex = new EndpointExecutor({ store, endpointId: 'ep', sink, batchSize: 40, idleMs: 5 })
      ex.start()
      await until(() => got.length === 250 && queueLength(store) === 0, 'the queue to drain')
      await fill(store, 5, 0, 250)
      ex.notify()
      await until(() => got.length === 255, 'the late messages')
      await ex.stop()
      assert.deepEqual(got, Array.from({ length: 255 }, (_, i) => i))
      assert.equal(store.stats().messages, 0)
    })
  })

  it('retries a failing sink with back-off, in order, then moves on', async () => {
    await withStore(async (store) => {
      await fill(store, 30)
      const delivered: number[] = []
      let calls = 0
      const sink: Sink = async (batch) => {
        calls++
        if (calls <= 3) throw new Error('upstream down')
        // Then a partial failure: every message whose number ends in 7 fails once more.
        const failed = calls === 4 ? batch.filter((m) => Number(m.message.properties.n) % 10 === 7) : []
        const ok = batch.filter((m) => !failed.includes(m))
        delivered.push(...ids(ok))
        return { succeeded: ok.map((m) => m.offset), failed: failed.map((m) => m.offset), invalid: [] }
      }
      const ex = new EndpointExecutor({ store, endpointId: 'ep', sink, batchSize: 10, backoff: fast, idleMs: 5 })
      ex.start()
      await until(() => queueLength(store) === 0 && delivered.length === 30, 'delivery')
      await ex.stop()
      assert.deepEqual([...delivered].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i), 'each message delivered once')
      assert.deepEqual(delivered.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 8, 9, 7], 'the failed one is retried before the next batch')
      assert.deepEqual(delivered.slice(10), Array.from({ length: 20 }, (_, i) => i + 10))
      assert.ok(ex.stats.retries >= 4)
    })
  })

  it('dead-letters invalid messages and never retries them', async () => {
    await withStore(async (store) => {
      await fill(store, 10)
      const dead: number[] = []
      let calls = 0
      const sink: Sink = async (batch) => {
        calls++
        const invalid = batch.filter((m) => Number(m.message.properties.n) % 3 === 0)
        return { succeeded: batch.filter((m) => !invalid.includes(m)).map((m) => m.offset), failed: [], invalid: invalid.map((m) => m.offset) }
      }
      const ex = new EndpointExecutor({ store, endpointId: 'ep', sink, backoff: fast, idleMs: 5, deadLetter: (ms) => void dead.push(...ids(ms)) })
      ex.start()
      await until(() => queueLength(store) === 0, 'the queue to drain')
      await ex.stop()
      assert.deepEqual(dead, [0, 3, 6, 9])
      assert.equal(calls, 1)
      assert.equal(ex.stats.deadLettered, 4)
    })
  })

  it('drops messages that expire while being retried', async () => {
    await withStore(async (store) => {
      await fill(store, 5, 0, 0, Date.now() + 150)
      await fill(store, 5, 0, 5)
      const got: number[] = []
      const sink: Sink = async (batch) => {
        if (batch.some((m) => Number(m.message.properties.n) < 5)) throw new Error('down')
        got.push(...ids(batch))
        return { succeeded: batch.map((m) => m.offset), failed: [], invalid: [] }
      }
      const ex = new EndpointExecutor({ store, endpointId: 'ep', sink, batchSize: 5, backoff: fast, idleMs: 5 })
      ex.start()
      await until(() => got.length === 5, 'the later messages')
      await ex.stop()
      assert.deepEqual(got, [5, 6, 7, 8, 9])
      assert.equal(ex.stats.expired, 5)
    })
  })

  it('serves higher priorities first without starving the lower ones', async () => {
    await withStore(async (store) => {
      await fill(store, 200, 0)
      await fill(store, 50, 5, 1000)
      const batches: number[] = []
      const sink: Sink = async (batch) => {
        batches.push(batch[0]!.priority)
        return { succeeded: batch.map((m) => m.offset), failed: [], invalid: [] }
      }
      const ex = new EndpointExecutor({ store, endpointId: 'ep', sink, batchSize: 10, fairnessEvery: 4, idleMs: 5 })
      ex.start()
      await until(() => queueLength(store, 0) === 0 && queueLength(store, 5) === 0, 'both queues to drain')
      await ex.stop()
      assert.equal(batches[0], 0, 'priority 0 goes first')
      const firstLow = batches.indexOf(5)
      assert.ok(firstLow > 0 && firstLow < 4, `priority 5 got a turn early (batch ${firstLow})`)
      const lowBeforeHighDone = batches.slice(0, batches.lastIndexOf(0)).filter((p) => p === 5).length
      assert.ok(lowBeforeHighDone >= 4, `priority 5 kept getting turns while 0 was busy (${lowBeforeHighDone})`)
      assert.ok(lowBeforeHighDone <= 6, 'but only about one in four')
    })
  })

  it('stopping mid-retry checkpoints nothing: the batch is delivered again by the next executor', async () => {
    await withStore(async (store) => {
      await fill(store, 3)
      const failing = new EndpointExecutor({ store, endpointId: 'ep', sink: async () => Promise.reject(new Error('down')), backoff: fast, idleMs: 5 })
      failing.start()
      await until(() => failing.stats.retries >= 2, 'a few retries')
      await failing.stop()
      assert.equal(queueLength(store), 3)
      const got: number[] = []
      const ok = new EndpointExecutor({
        store,
        endpointId: 'ep',
        idleMs: 5,
        sink: async (batch) => {
          got.push(...ids(batch))
          return { succeeded: batch.map((m) => m.offset), failed: [], invalid: [] }
        },
      })
      ok.start()
      await until(() => got.length === 3, 'redelivery')
      await ok.stop()
      assert.deepEqual(got, [0, 1, 2])
    })
  })
})
