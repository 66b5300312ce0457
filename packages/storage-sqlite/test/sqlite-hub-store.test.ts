import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runHubStoreContract } from '@ledge/storage/testing'
import { openSqliteHubStore } from '../src/index.js'

runHubStoreContract({
  name: 'sqlite (temp file)',
  create: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledge-sqlite-'))
    const open = () => openSqliteHubStore({ file: join(dir, 'hub.db') })
    return { store: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }) }
  },
})
