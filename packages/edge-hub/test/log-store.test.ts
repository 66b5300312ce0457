import { openLogMessageStore } from '../src/store/log/log-message-store.js'
import { runMessageStoreContract } from './store-contract.js'

for (const durability of ['fsync', 'os'] as const) {
  runMessageStoreContract({
    name: `log (${durability})`,
    open: (o) => openLogMessageStore({ ...o, durability, minFreeDiskBytes: 0 }),
  })
}
