/**
 * Child of the recovery phase: fills a store with N messages, prints `filled`, then waits to be killed (kill -9), so
 * that the parent measures a recovery after a crash, not after a clean close.
 * Usage: node --import tsx bench/edge-store/fill.ts <engine> <dir> <durability> <count> <payloadBytes>
 */
import { openMessageStore, type StoreEngine } from '../../packages/edge-hub/src/store/open-message-store.js'
import type { Durability } from '../../packages/edge-hub/src/store/message-store.js'

const [engine, dir, durability, count, payload] = process.argv.slice(2)
const store = await openMessageStore({ engine: engine as StoreEngine, dir: dir!, durability: durability as Durability, minFreeDiskBytes: 0, maxBytes: 8 * 1024 ** 3 })
const body = Buffer.alloc(Number(payload), 1)
const targets = [{ endpointId: '$upstream', priority: 0, expiresAt: Infinity }]
let next = 0
const n = Number(count)
await Promise.all(
  Array.from({ length: 1000 }, async () => {
    while (next < n) {
      const i = next++
      await store.add({ body, systemProperties: { messageId: String(i) }, properties: {} }, targets)
    }
  }),
)
process.stdout.write('filled\n')
setInterval(() => {}, 1000) // wait for the kill
