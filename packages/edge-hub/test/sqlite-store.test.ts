import { openSqliteMessageStore } from '../src/store/sqlite/sqlite-message-store.js'
import { runMessageStoreContract } from './store-contract.js'

for (const durability of ['fsync', 'os'] as const) {
  runMessageStoreContract({
    name: `sqlite (${durability})`,
    open: (o) => openSqliteMessageStore({ ...o, durability, minFreeDiskBytes: 0 }),
  })
}
