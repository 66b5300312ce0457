/**
 * Micro-benchmark of the hot path: EventLog.append in batches of 100 events of 1 KB into a temp-file database.
 * Run: node --import tsx packages/storage-sqlite/test/append.bench.ts [batches=2000] [batchSize=100] [bodyBytes=1024]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventInput } from '@ledge/storage'
import { openSqliteHubStore } from '../src/index.js'

const [batches = 2000, batchSize = 100, bodyBytes = 1024] = process.argv.slice(2).map(Number)
const dir = await mkdtemp(join(tmpdir(), 'ledge-bench-'))
const store = await openSqliteHubStore({ file: join(dir, 'hub.db') })
const body = Buffer.alloc(bodyBytes, 0x61)

function batch(n: number): EventInput[] {
  const now = Date.now()
  return Array.from({ length: batchSize }, (_, i) => ({
    deviceId: `device-${(n * batchSize + i) % 1000}`,
    moduleId: i % 4 === 0 ? 'sensor' : null,
    enqueuedTime: now,
    systemProperties: { messageId: `m-${n}-${i}`, contentType: 'application/json', contentEncoding: 'utf-8', connectionDeviceId: `device-${i}`, enqueuedTimeUtc: new Date(now).toISOString() },
    properties: { alert: 'false', seq: String(i) },
    body,
  }))
}

try {
  for (let n = 0; n < 50; n++) await store.events.append(batch(n)) // warm-up
  const inputs = Array.from({ length: batches }, (_, n) => batch(n))
  const started = process.hrtime.bigint()
  for (const b of inputs) await store.events.append(b)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const events = batches * batchSize
  console.log(`${events} events in ${batches} appends of ${batchSize} × ${bodyBytes} B: ${seconds.toFixed(2)} s, ${Math.round(events / seconds)} events/s, ${((seconds / batches) * 1000).toFixed(3)} ms per append`)
  const t0 = process.hrtime.bigint()
  const removed = await store.events.trim({ maxBytes: (events * bodyBytes) / 2 })
  console.log(`trim to half the bytes: ${removed} events in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`)
} finally {
  await store.close()
  await rm(dir, { recursive: true, force: true })
}
