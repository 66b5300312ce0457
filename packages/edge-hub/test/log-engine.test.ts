/** What only the log engine has: segments, the state file, torn tails. */
import assert from 'node:assert/strict'
import { appendFile, mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openLogMessageStore } from '../src/store/log/log-message-store.js'
import type { QueueTarget } from '../src/store/message-store.js'
import { msg } from './store-contract.js'

const to = (endpointId: string): QueueTarget => ({ endpointId, priority: 0, expiresAt: Infinity })
const segments = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort()
const open = (dir: string) => openLogMessageStore({ dir, minFreeDiskBytes: 0, durability: 'os', segmentBytes: 32 * 1024 })

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-log-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('log engine', () => {
  it('deletes a segment once its messages are delivered everywhere, and remembers checkpoints without it', async () => {
    await withDir(async (dir) => {
      let store = await open(dir)
      let last = 0
      for (let i = 0; i < 200; i++) last = (await store.add(msg(i, 1024), [to('a'), to('b')])).offset
      const before = await segments(dir)
      assert.ok(before.length >= 5, `${before.length} segments`)
      await store.checkpoint('a', 0, last - 10)
      assert.equal((await segments(dir)).length, before.length, 'b still holds them')
      await store.checkpoint('b', 0, last - 10)
      await store.add(msg(999), [to('c')]) // the next commit deletes the dead segments
      const after = await segments(dir)
      assert.ok(after.length <= 2, `left: ${after.join(', ')}`)
      assert.ok(!after.includes(before[0]!))
      await store.close()
      store = await open(dir)
      const a = await store.read({ endpointId: 'a', priority: 0, limit: 100 })
      assert.deepEqual(a.map((m) => m.message.properties.n), ['190', '191', '192', '193', '194', '195', '196', '197', '198', '199'])
      assert.equal(store.stats().queues.find((q) => q.endpointId === 'b')?.checkpoint, last - 10, 'the checkpoint record went with its segment, the state file kept it')
      await store.close()
    })
  })

  it('does not bring back a removed queue from an old segment', async () => {
    await withDir(async (dir) => {
      let store = await open(dir)
      for (let i = 0; i < 100; i++) await store.add(msg(i, 1024), i === 0 ? [to('keep'), to('gone')] : [to('gone')])
      await store.removeQueue('gone', 0) // segment 1 survives (message 0 is still wanted by 'keep'), the rest go
      await store.add(msg(100), [to('keep')])
      await store.close()
      store = await open(dir)
      assert.deepEqual(store.stats().queues.map((q) => q.endpointId), ['keep'])
      assert.deepEqual((await store.read({ endpointId: 'keep', priority: 0, limit: 10 })).map((m) => m.message.properties.n), ['0', '100'])
      await store.close()
    })
  })

  it('cuts a torn tail off and keeps everything before it', async () => {
    await withDir(async (dir) => {
      let store = await open(dir)
      for (let i = 0; i < 10; i++) await store.add(msg(i), [to('a')])
      await store.close()
      const last = join(dir, (await segments(dir)).at(-1)!)
      const size = (await stat(last)).size
      await truncate(last, size - 5) // the last record is cut short
      await appendFile(last, Buffer.alloc(100, 0)) // and zeros follow, as after a power cut
      store = await open(dir)
      const got = await store.read({ endpointId: 'a', priority: 0, limit: 100 })
      assert.deepEqual(got.map((m) => m.message.properties.n), ['0', '1', '2', '3', '4', '5', '6', '7', '8'])
      assert.equal((await stat(last)).size < size, true, 'truncated back to the last whole record')
      const next = await store.add(msg(10), [to('a')])
      assert.ok(next.offset > got.at(-1)!.offset)
      await store.close()
      store = await open(dir)
      assert.deepEqual((await store.read({ endpointId: 'a', priority: 0, limit: 100 })).map((m) => m.message.properties.n).slice(-2), ['8', '10'])
      await store.close()
    })
  })

  it('keeps its accounting equal to its files', async () => {
    await withDir(async (dir) => {
      const store = await open(dir)
      for (let i = 0; i < 300; i++) await store.add(msg(i, 700), [to('a'), to('b')])
      await store.checkpoint('a', 0, 250)
      await store.checkpoint('b', 0, 200)
      await store.add(msg(1), [to('a')])
      const files = (await readdir(dir)).filter((f) => !f.endsWith('.tmp'))
      let bytes = 0
      for (const f of files) bytes += (await stat(join(dir, f))).size
      assert.equal(store.stats().usedBytes, bytes)
      assert.equal(store.size(), bytes)
      await store.close()
    })
  })
})
