import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { openSqliteHubStore, SCHEMA_VERSION } from '../src/index.js'

describe('sqlite schema and settings', () => {
  let dir = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledge-sqlite-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('creates the file (and its directory) in WAL mode at the current schema version', async () => {
    const file = join(dir, 'nested', 'hub.db')
    await (await openSqliteHubStore({ file })).close()
    const db = new Database(file, { readonly: true })
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
    } finally {
      db.close()
    }
  })

  it('refuses a file written by a newer schema and leaves it alone', async () => {
    const file = join(dir, 'newer.db')
    const db = new Database(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    await assert.rejects(openSqliteHubStore({ file }), { code: 'ERR_STORE_SCHEMA_TOO_NEW' })
    const again = new Database(file, { readonly: true })
    try {
      assert.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1)
      assert.equal(again.pragma('journal_mode', { simple: true }), 'delete')
    } finally {
      again.close()
    }
  })

  it('close is idempotent', async () => {
    const store = await openSqliteHubStore({ file: join(dir, 'close.db') })
    await store.close()
    await store.close()
  })
})
