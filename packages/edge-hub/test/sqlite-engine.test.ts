/** What only the SQLite engine has: its schema version and giving pages back. */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { openSqliteMessageStore, SQLITE_FILE } from '../src/store/sqlite/sqlite-message-store.js'
import { msg } from './store-contract.js'

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-sqlite-store-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('sqlite engine', () => {
  it('gives the space of delivered messages back to the file system', async () => {
    await withDir(async (dir) => {
      const store = openSqliteMessageStore({ dir, minFreeDiskBytes: 0, durability: 'os' })
      let last = 0
      for (let i = 0; i < 3000; i += 100) {
        const refs = await Promise.all(Array.from({ length: 100 }, (_, k) => store.add(msg(i + k, 1024), [{ endpointId: 'a', priority: 0, expiresAt: Infinity }])))
        last = refs.at(-1)!.offset
      }
      await store.close()
      const full = openSqliteMessageStore({ dir, minFreeDiskBytes: 0 })
      const before = full.size()
      await full.checkpoint('a', 0, last)
      await new Promise((r) => setTimeout(r, 300)) // the cleaner's pass, scheduled by the deletion, vacuums
      await full.close()
      const reopened = openSqliteMessageStore({ dir, minFreeDiskBytes: 0 })
      assert.ok(reopened.size() < before / 2, `${reopened.size()} bytes left of ${before}`)
      assert.equal(reopened.integrityCheck(), 'ok')
      await reopened.close()
    })
  })

  it('refuses a store written by a newer version', async () => {
    await withDir(async (dir) => {
      await openSqliteMessageStore({ dir, minFreeDiskBytes: 0 }).close()
      const db = new Database(join(dir, SQLITE_FILE))
      db.pragma('user_version = 99')
      db.close()
      assert.throws(() => openSqliteMessageStore({ dir, minFreeDiskBytes: 0 }), { code: 'ERR_STORE_SCHEMA_TOO_NEW' })
    })
  })
})
