/**
 * Issue 4's acceptance: with the hub away, 10,000 messages are accepted and survive a kill -9; once the hub is back
 * they all reach it in order, and the expired ones never do.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { StreamExecutor } from '../src/store/stream-executor.js'
import { openMessageStore, type StoreEngine } from '../src/store/open-message-store.js'

const PUBLISHER = fileURLToPath(new URL('./fixtures/offline-publisher.ts', import.meta.url))
const N = 10_000

function publishThenKill(engine: StoreEngine, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', PUBLISHER, engine, dir, String(N)], { stdio: ['ignore', 'pipe', 'inherit'] })
    const deadline = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.stdout.on('data', (d: Buffer) => d.toString().includes('done') && child.kill('SIGKILL'))
    child.on('close', (code, signal) => {
      clearTimeout(deadline)
      if (signal === 'SIGKILL' && code === null) resolve()
      else reject(new Error(`publisher ended with ${code ?? signal}`))
    })
  })
}

for (const engine of ['log', 'sqlite'] as const) {
  describe(`store-and-forward (${engine})`, () => {
    it(`keeps ${N} messages through a kill -9 and delivers them in order, never the expired ones`, { timeout: 180_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ledge-snf-'))
      try {
        await publishThenKill(engine, dir)
        await new Promise((r) => setTimeout(r, 1100)) // the 1-second TTLs pass while everything is down
        const store = await openMessageStore({ engine, dir, minFreeDiskBytes: 0 })
        const received: number[] = []
        // The hub as the edge hub's `$upstream` endpoint sees it: a stream, each message acknowledged as it arrives.
        const hub = new StreamExecutor({
          store,
          endpointId: '$upstream',
          idleMs: 10,
          hold: false,
          target: {
            open: async () => ({
              window: 200,
              send: async (m) => void received.push(Number(m.message.properties.i)),
            }),
          },
        })
        hub.start()
        const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % 10 !== 9)
        const t0 = Date.now()
        while (received.length < expected.length && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20))
        await hub.stop()
        assert.deepEqual(received, expected)
        await store.expire() // the cleaner may still be on its way through the expired ones
        assert.equal(store.stats().queues[0]?.length, 0)
        assert.equal(store.stats().messages, 0)
        await store.close()
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  })
}
