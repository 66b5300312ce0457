import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openLogMessageStore } from '../src/store/log/log-message-store.js'
import type { MessageStore, QueuedMessage } from '../src/store/message-store.js'
import { StreamExecutor, type DeliveryChannel, type StreamTarget } from '../src/store/stream-executor.js'
import { msg } from './store-contract.js'

const fast = { initialMs: 2, maxMs: 10, jitter: 0.5 }

async function withStore(fn: (store: MessageStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-stream-'))
  const store = await openLogMessageStore({ dir, minFreeDiskBytes: 0, durability: 'os' })
  try {
    await fn(store)
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function fill(store: MessageStore, n: number, first = 0, expiresAt = Infinity, priority = 0): Promise<void> {
  for (let i = first; i < first + n; i++) await store.add(msg(i), [{ endpointId: 'ep', priority, expiresAt }])
}

/** Resolves once `cond` holds (polling), or fails after 20 s (a loaded machine). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > 20_000) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const n = (m: QueuedMessage): number => Number(m.message.properties.n)
const queue = (store: MessageStore, priority = 0) => store.stats().queues.find((q) => q.endpointId === 'ep' && q.priority === priority) ?? { length: 0, checkpoint: 0 }

/** A channel that settles each message at once as `outcome` says: acknowledged, refused, or failed (rejected). */
function scriptedTarget(outcome: (i: number) => 'ack' | 'refuse' | 'fail', window = 10): StreamTarget & { sent: number[]; acked: number[] } {
  const t = {
    sent: [] as number[],
    acked: [] as number[],
    async open(): Promise<DeliveryChannel> {
      return {
        window,
        send: async (m) => {
          const i = n(m)
          t.sent.push(i)
          await new Promise((r) => setImmediate(r))
          const o = outcome(i)
          if (o === 'fail') throw new Error('channel failed')
          if (o === 'refuse') return 'refused'
          t.acked.push(i)
        },
      }
    },
  }
  return t
}

/**
 * A module's connection as the executor sees it: records each send; the test acknowledges them (in any order) or
 * ends the channel, which refuses everything unacknowledged, as a closing MQTT connection does.
 */
class TestChannel implements DeliveryChannel {
  readonly sent: number[] = []
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  maxInflight = 0
  closed = false

  constructor(readonly window: number, private readonly autoAck = false) {}

  send(m: QueuedMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('closed'))
    this.sent.push(n(m))
    if (this.autoAck) return new Promise((resolve) => setImmediate(resolve))
    return new Promise((resolve, reject) => {
      this.pending.set(n(m), { resolve, reject })
      this.maxInflight = Math.max(this.maxInflight, this.pending.size)
    })
  }

  get inflight(): number[] {
    return [...this.pending.keys()]
  }

  ack(i: number): void {
    const p = this.pending.get(i)
    assert.ok(p, `message ${i} is not in flight`)
    this.pending.delete(i)
    p.resolve()
  }

  close(): void {
    this.closed = true
    for (const p of this.pending.values()) p.reject(new Error('closed'))
    this.pending.clear()
  }
}

/** Hands out the given channels in turn; undefined (the module is not there) while `available` is false. */
function targetOf(channels: TestChannel[], state = { available: true }): StreamTarget & { opened: number } {
  const t = {
    opened: 0,
    async open() {
      if (!state.available) {
        await new Promise((r) => setTimeout(r, 5))
        return undefined
      }
      return channels[t.opened++]
    },
  }
  return t
}

describe('StreamExecutor', () => {
  it('keeps the window full rather than waiting for a batch, and delivers everything once, in order', async () => {
    await withStore(async (store) => {
      await fill(store, 300)
      const ch = new TestChannel(20)
      const ex = new StreamExecutor({ store, endpointId: 'ep', target: targetOf([ch]), readAhead: 50, idleMs: 5, backoff: fast })
      ex.start()
      // Acknowledge one message at a time: a batch executor would send nothing more until the whole batch is back.
      for (let next = 0; next < 300; next++) {
        await until(() => ch.inflight.includes(next) && ch.inflight.length === Math.min(20, 300 - next), `the window full again at ${next}`)
        ch.ack(next)
      }
      await until(() => queue(store).length === 0, 'the checkpoint to reach the end')
      await ex.stop()
      assert.deepEqual(ch.sent, Array.from({ length: 300 }, (_, i) => i))
      assert.equal(ch.maxInflight, 20, 'never more than the window unacknowledged')
      assert.equal(ex.stats.sent, 300)
    })
  })

  it('checkpoints only the settled prefix, and resends what a failed channel left unacknowledged, first and in order', async () => {
    await withStore(async (store) => {
      await fill(store, 30)
      const third = (await store.read({ endpointId: 'ep', priority: 0, limit: 3 }))[2]!.offset
      const first = new TestChannel(10)
      const second = new TestChannel(10, true)
      const ex = new StreamExecutor({ store, endpointId: 'ep', target: targetOf([first, second]), idleMs: 5, backoff: fast })
      ex.start()
      await until(() => first.inflight.length === 10, 'a full window')
      // 0-2 acknowledged; 3 not; 4-9 acknowledged out of order around it.
      for (const i of [0, 1, 2, 9, 4, 5, 6, 7, 8]) first.ack(i)
      await until(() => first.inflight.length === 10, 'the window refilled')
      assert.deepEqual(first.inflight, [3, 10, 11, 12, 13, 14, 15, 16, 17, 18])
      await until(() => queue(store).checkpoint === third, 'the checkpoint of the settled prefix 0-2')
      await new Promise((r) => setTimeout(r, 50))
      assert.equal(queue(store).checkpoint, third, 'the checkpoint waits for message 3')
      first.close()
      await until(() => queue(store).length === 0, 'the rest on the next channel')
      await ex.stop()
      assert.deepEqual(second.sent, [3, ...Array.from({ length: 20 }, (_, i) => i + 10)], 'the unacknowledged first, in order; nothing acknowledged sent again')
      assert.equal(store.stats().messages, 0)
    })
  })

  it('waits for a module that is not there, then delivers in order; expired messages are never sent', async () => {
    await withStore(async (store) => {
      await fill(store, 5, 0, Date.now() + 100)
      await fill(store, 5, 5)
      const state = { available: false }
      const ch = new TestChannel(10, true)
      const target = targetOf([ch], state)
      const ex = new StreamExecutor({ store, endpointId: 'ep', target, idleMs: 5, backoff: fast })
      ex.start()
      await until(() => ex.stats.retries >= 3, 'a few attempts to open')
      await new Promise((r) => setTimeout(r, 150))
      state.available = true
      await until(() => ch.sent.length === 5 && queue(store).length === 0, 'delivery')
      await fill(store, 3, 10)
      ex.notify()
      await until(() => ch.sent.length === 8, 'the late messages')
      await ex.stop()
      assert.deepEqual(ch.sent, [5, 6, 7, 8, 9, 10, 11, 12])
      assert.equal(ex.stats.expired + store.stats().expired >= 5, true, 'the expired five were dropped')
    })
  })

  it('holds senders while its module lags far behind, and lets them go once it catches up', async () => {
    await withStore(async (store) => {
      const ch = new TestChannel(10)
      const ex = new StreamExecutor({ store, endpointId: 'ep', target: targetOf([ch]), idleMs: 5, backoff: fast, hold: { highWater: 50, lowWater: 20, maxHoldMs: 60_000 } })
      assert.equal(ex.holdSender(), undefined, 'no one is held while nothing is being streamed')
      await fill(store, 60)
      ex.start()
      await until(() => ch.inflight.length === 10, 'streaming')
      const hold = ex.holdSender()
      assert.ok(hold, 'a sender is held: 60 queued, over the high mark of 50')
      let released = false
      void hold.then(() => (released = true))
      for (let i = 0; i < 30; i++) {
        await until(() => ch.inflight.includes(i), `message ${i}`)
        ch.ack(i)
      }
      await new Promise((r) => setTimeout(r, 50))
      assert.equal(released, false, 'still held at 30 queued, over the low mark of 20')
      for (let i = 30; i < 45; i++) {
        await until(() => ch.inflight.includes(i), `message ${i}`)
        ch.ack(i)
      }
      await until(() => released, 'the hold to end under the low mark')
      const another = ex.holdSender()
      assert.equal(another, undefined, 'under the high mark again: no hold')
      ch.close()
      await ex.stop()
    })
  })

  it('a module that disconnects lets held senders go (store-and-forward takes over)', async () => {
    await withStore(async (store) => {
      const ch = new TestChannel(10)
      const ex = new StreamExecutor({ store, endpointId: 'ep', target: targetOf([ch], { available: true }), idleMs: 5, backoff: fast, hold: { highWater: 20, lowWater: 10, maxHoldMs: 60_000 } })
      await fill(store, 40)
      ex.start()
      await until(() => ch.inflight.length === 10, 'streaming')
      const hold = ex.holdSender()
      assert.ok(hold)
      ch.close()
      await hold
      await ex.stop()
      assert.equal(queue(store).length, 40, 'nothing was acknowledged, nothing checkpointed')
    })
  })

  it('dead-letters what the endpoint refuses and never sends it again', async () => {
    await withStore(async (store) => {
      await fill(store, 10)
      const dead: number[] = []
      const target = scriptedTarget((i) => (i % 3 === 0 ? 'refuse' : 'ack'))
      const ex = new StreamExecutor({ store, endpointId: 'ep', target, idleMs: 5, backoff: fast, deadLetter: (ms) => void dead.push(...ms.map(n)) })
      ex.start()
      await until(() => queue(store).length === 0, 'the queue to drain')
      await ex.stop()
      assert.deepEqual(dead, [0, 3, 6, 9])
      assert.deepEqual(target.sent, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'each sent once: refused ones are not retried')
      assert.deepEqual(target.acked, [1, 2, 4, 5, 7, 8])
      assert.equal(ex.stats.deadLettered, 4)
      assert.equal(ex.stats.sent, 6)
    })
  })

  it('drops messages that expire while being retried, and delivers the rest', async () => {
    await withStore(async (store) => {
      const expiresAt = Date.now() + 150
      await fill(store, 5, 0, expiresAt)
      await fill(store, 5, 5)
      // The endpoint fails the first five until after they have expired (an endpoint that is down for them).
      const target = scriptedTarget((i) => (i < 5 && Date.now() < expiresAt + 1000 ? 'fail' : 'ack'))
      const ex = new StreamExecutor({ store, endpointId: 'ep', target, idleMs: 5, backoff: fast })
      ex.start()
      await until(() => queue(store).length === 0, 'the queue to drain')
      await ex.stop()
      assert.deepEqual(target.acked, [5, 6, 7, 8, 9], 'the expired five never delivered')
      assert.ok(ex.stats.retries > 0, 'they were retried first')
      assert.equal(ex.stats.expired + store.stats().expired >= 5, true, 'and then dropped as expired')
    })
  })

  it('serves higher priorities first without starving the lower ones', async () => {
    await withStore(async (store) => {
      await fill(store, 200, 0, Infinity, 0)
      await fill(store, 50, 1000, Infinity, 5)
      const target = scriptedTarget(() => 'ack', 20)
      const ex = new StreamExecutor({ store, endpointId: 'ep', target, readAhead: 10, fairnessEvery: 4, idleMs: 5, backoff: fast })
      ex.start()
      await until(() => queue(store, 0).length === 0 && queue(store, 5).length === 0, 'both queues to drain')
      await ex.stop()
      // One read of 10 per turn: the priority of each turn, in the order sent.
      const turns = Array.from({ length: 25 }, (_, k) => (target.sent[k * 10]! >= 1000 ? 5 : 0))
      assert.equal(turns[0], 0, 'priority 0 goes first')
      const firstLow = turns.indexOf(5)
      assert.ok(firstLow > 0 && firstLow < 4, `priority 5 got a turn early (turn ${firstLow})`)
      const lowBeforeHighDone = turns.slice(0, turns.lastIndexOf(0)).filter((p) => p === 5).length
      assert.ok(lowBeforeHighDone >= 4, `priority 5 kept getting turns while 0 was busy (${lowBeforeHighDone})`)
      assert.ok(lowBeforeHighDone <= 6, 'but only about one in four')
      assert.deepEqual(target.sent.filter((i) => i < 1000), Array.from({ length: 200 }, (_, i) => i), 'each queue in order')
    })
  })

  it('stopping while retrying checkpoints nothing: the next executor delivers it all again, in order', async () => {
    await withStore(async (store) => {
      await fill(store, 3)
      const down = scriptedTarget(() => 'fail')
      const failing = new StreamExecutor({ store, endpointId: 'ep', target: down, idleMs: 5, backoff: fast })
      failing.start()
      await until(() => failing.stats.retries >= 2, 'a few retries')
      await failing.stop()
      assert.equal(queue(store).length, 3)
      const up = scriptedTarget(() => 'ack')
      const ok = new StreamExecutor({ store, endpointId: 'ep', target: up, idleMs: 5, backoff: fast })
      ok.start()
      await until(() => queue(store).length === 0, 'redelivery')
      await ok.stop()
      assert.deepEqual(up.acked, [0, 1, 2])
    })
  })
})
