import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestClock, silentLogger } from '@ledge/common'
import { openSqliteHubStore } from '@ledge/storage-sqlite'
import { identityRecord } from '@ledge/storage/testing'
import { PERSIST_GRANULARITY_MS, Presence } from './presence.js'

test('last activity reaches the store in chunks, at most once a minute per identity, and the view is always current', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-presence-'))
  const store = await openSqliteHubStore({ file: join(dir, 'hub.db') })
  try {
    await store.identities.create(Array.from({ length: 600 }, (_, i) => identityRecord(`d${i}`)))
    const clock = new TestClock(Date.parse('2026-01-01T00:00:00Z'))
    const presence = new Presence({ identities: store.identities, clock, log: silentLogger() })
    for (let i = 0; i < 600; i++) presence.connected(`d${i}`)
    await presence.flush()
    const first = new Date(clock.now()).toISOString()
    assert.equal((await store.identities.get('d599'))!.lastActivityTime, first, 'all 600 written, across several chunks')

    clock.advance(1000)
    presence.touch('d1')
    await presence.flush()
    assert.equal((await store.identities.get('d1'))!.lastActivityTime, first, 'a second later: not written again')
    assert.equal(presence.view('d1').lastActivityTime, new Date(clock.now()).toISOString(), 'but the live view has it')

    clock.advance(PERSIST_GRANULARITY_MS)
    presence.touch('d1')
    await presence.flush()
    assert.equal((await store.identities.get('d1'))!.lastActivityTime, new Date(clock.now()).toISOString(), 'a minute later: written')
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
})
