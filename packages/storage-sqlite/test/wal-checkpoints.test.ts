import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { createLogger } from '@ledge/common'
import type { EventInput, HubStore } from '@ledge/storage'
import { openSqliteHubStore } from '../src/index.js'

/** A debug logger writing to `file`, and a way to count the lines of one `event` it has written so far. */
function logTo(file: string) {
  const logger = createLogger({ name: 'test', level: 'debug', destination: file })
  const count = (event: string): number => {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return 0
    }
    return text.split('\n').filter((line) => line.includes(`"event":"${event}"`)).length
  }
  /** Resolves once `n` lines of `event` are in the file (polled: the logger writes asynchronously). */
  const reached = async (event: string, n: number, ms = 60_000): Promise<void> => {
    const until = Date.now() + ms
    while (count(event) < n) {
      if (Date.now() > until) throw new Error(`no ${n} × ${event} in the log within ${ms} ms`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  return { logger, count, reached }
}

const body = Buffer.alloc(1024, 0x61)
const batch = (device: number): EventInput[] =>
  Array.from({ length: 50 }, (_, i) => ({ deviceId: `d${(device * 50 + i) % 997}`, moduleId: null, enqueuedTime: 1, systemProperties: {}, properties: {}, body }))

/** WAL frames not yet reset, as a separate connection sees them (a PASSIVE checkpoint changes no one's frames). */
function walFrames(file: string): number {
  const db = new Database(file)
  try {
    return (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log
  } finally {
    db.close()
  }
}

describe('WAL checkpoints in a worker thread', () => {
  let dir = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledge-wal-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('copies the WAL into the file and resets it while appends go on; every committed event stays', async () => {
    const file = join(dir, 'reset.db')
    const log = logTo(join(dir, 'reset.log'))
    const store: HubStore = await openSqliteHubStore({ file, logger: log.logger, walCheckpoints: { intervalMs: 10, restartPages: 200 } })
    let appended = 0
    try {
      await log.reached('store.checkpointer_started', 1)
      // Appends until the thread has reset the WAL three times.
      for (let i = 0; log.count('store.wal_reset') < 3; i++) {
        assert.ok(i < 20_000, 'the WAL was never reset')
        appended += (await store.events.append(batch(i))).length
        await new Promise((r) => setImmediate(r))
      }
      // Each batch is ~50 pages: without resets the WAL would hold every page appended.
      assert.ok(walFrames(file) < 200 + 10 * 50, `WAL of ${walFrames(file)} frames after ${appended} events`)
      assert.ok(statSync(file).size > 200 * 4096, 'the database file received the checkpointed pages')
      const { first, next } = await store.events.bounds()
      assert.equal(next - first, appended)
    } finally {
      await store.close()
    }
    const reopened = await openSqliteHubStore({ file, walCheckpoints: false })
    try {
      const { first, next } = await reopened.events.bounds()
      assert.equal(next - first, appended)
      const last = await reopened.events.read({ from: next - 1, limit: 10 })
      assert.equal(last.length, 1)
      assert.deepEqual(last[0]!.body, body)
    } finally {
      await reopened.close()
    }
  })

  it('caps the WAL when a reader pins it: appends wait until the reader lets go, then go on', async () => {
    const file = join(dir, 'pinned.db')
    const log = logTo(join(dir, 'pinned.log'))
    const store = await openSqliteHubStore({ file, logger: log.logger, walCheckpoints: { intervalMs: 10, restartPages: 100, maxPages: 400 } })
    const reader = new Database(file, { readonly: true })
    try {
      await log.reached('store.checkpointer_started', 1)
      await store.events.append(batch(0))
      // A read transaction that stays open pins the WAL: it cannot be reset under the reader's snapshot.
      reader.prepare('BEGIN').run()
      reader.prepare('SELECT count(*) FROM events').get()
      let stopped = false
      let appended = 50
      const appending = (async () => {
        for (let i = 1; !stopped; i++) {
          assert.ok(i < 20_000, 'appends never waited')
          appended += (await store.events.append(batch(i))).length
          await new Promise((r) => setImmediate(r))
        }
      })()
      await log.reached('store.wal_pinned', 1)
      // Appends wait now. The WAL holds maxPages plus what was appended during the thread's last round before it
      // held them (a few hundred pages in this tight loop), not everything appended since the reader began.
      const frameBytes = 4096 + 24
      assert.ok(statSync(`${file}-wal`).size <= 32 + 4 * 400 * frameBytes, `WAL of ${statSync(`${file}-wal`).size} bytes`)
      const resetsBefore = log.count('store.wal_reset')
      reader.prepare('COMMIT').run()
      await log.reached('store.wal_reset', resetsBefore + 1)
      stopped = true
      await appending
      const { first, next } = await store.events.bounds()
      assert.equal(next - first, appended)
    } finally {
      reader.close()
      await store.close()
    }
  })

  it('a store opened with walCheckpoints: false checkpoints by itself and closes to a single file', async () => {
    const file = join(dir, 'inline.db')
    const store = await openSqliteHubStore({ file, walCheckpoints: false, walAutocheckpointPages: 100 })
    try {
      for (let i = 0; i < 20; i++) await store.events.append(batch(i))
      // The connection's own autocheckpoint copied pages into the file as it went.
      assert.ok(statSync(file).size > 100 * 4096)
    } finally {
      await store.close()
    }
    assert.equal(statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0, 0)
  })
})
