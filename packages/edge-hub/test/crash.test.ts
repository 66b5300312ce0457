/**
 * A real crash: a child process adds messages (and drains with checkpoints) as fast as it can; it is SIGKILLed at a
 * random moment, several times. After each kill the store must open without corruption, hold every acknowledged
 * message after its queue's checkpoint, in order, and keep every acknowledged checkpoint.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import type { Durability, MessageStore } from '../src/store/message-store.js'
import { openMessageStore, type StoreEngine } from '../src/store/open-message-store.js'
import { SqliteMessageStore } from '../src/store/sqlite/sqlite-message-store.js'

const WRITER = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url))
const KILLS = 5

interface Facts {
  acked: Map<number, number> // offset -> id
  checkpoints: Map<string, number>
}

/** Runs the writer until a random moment after it is ready, SIGKILLs it, and collects what it printed. */
function runAndKill(engine: StoreEngine, dir: string, durability: Durability, firstId: number, facts: Facts): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, engine, dir, durability, String(firstId)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let buffered = ''
    let timer: NodeJS.Timeout | undefined
    const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000) // never hang the suite
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const [kind, a, b] = line.split(' ')
        if (kind === 'ready' && !timer) timer = setTimeout(() => child.kill('SIGKILL'), 150 + Math.random() * 600)
        else if (kind === 'ack') facts.acked.set(Number(b), Number(a))
        else if (kind === 'cp') facts.checkpoints.set(a!, Math.max(facts.checkpoints.get(a!) ?? 0, Number(b)))
      }
    })
    child.on('error', reject)
    // 'close', not 'exit': the lines still in the pipe must be read before the store is checked.
    child.on('close', (code, signal) => {
      clearTimeout(deadline)
      clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code ?? signal} before the kill`))
      else resolve()
    })
  })
}

async function verify(store: MessageStore, facts: Facts): Promise<void> {
  if (store instanceof SqliteMessageStore) assert.equal(store.integrityCheck(), 'ok')
  const ackedIds = new Set(facts.acked.values())
  for (const [queue, priority] of [['a', 0], ['b', 1]] as const) {
    const stored = store.stats().queues.find((q) => q.endpointId === queue)
    const checkpoint = stored?.checkpoint ?? 0
    assert.ok(checkpoint >= (facts.checkpoints.get(queue) ?? 0), `${queue}: an acknowledged checkpoint was lost`)
    const got = await store.read({ endpointId: queue, priority, limit: 10_000_000 })
    const gotIds = new Map(got.map((m) => [m.offset, Number(m.message.properties.id)]))
    for (const [offset, id] of facts.acked) {
      if (offset > checkpoint) assert.equal(gotIds.get(offset), id, `${queue}: acknowledged message ${id} (offset ${offset}) is missing`)
    }
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.offset > got[i - 1]!.offset, 'in order')
    for (const m of got) {
      const id = Number(m.message.properties.id)
      // Anything not acknowledged may be there (committed, killed before printing) but is newer than what was.
      if (facts.acked.get(m.offset) !== id && (facts.acked.has(m.offset) || ackedIds.has(id))) {
        assert.fail(`${queue}: unexpected message ${id} at ${m.offset} (acked there: ${facts.acked.get(m.offset)}; offset of ${id}: ${[...facts.acked].find(([, v]) => v === id)?.[0]})`)
      }
    }
    assert.equal(stored?.length ?? 0, got.length, `${queue}: queue length`)
  }
}

for (const [engine, durability] of [
  ['log', 'os'],
  ['log', 'fsync'],
  ['sqlite', 'os'],
  ['sqlite', 'fsync'],
] as const) {
  if (process.env.LEDGE_CRASH_ONLY && process.env.LEDGE_CRASH_ONLY !== `${engine}/${durability}`) continue
  describe(`crash safety: ${engine} (${durability})`, () => {
    it(`loses no acknowledged message or checkpoint over ${KILLS} kill -9`, { timeout: 180_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ledge-edge-crash-'))
      const facts: Facts = { acked: new Map(), checkpoints: new Map() }
      try {
        for (let k = 0; k < KILLS; k++) {
          // Each run numbers its messages apart: a run's adds that committed but were never printed (output still
          // buffered at the kill) stay in the store with ids no later run reuses.
          const firstId = (k + 1) * 10_000_000
          await runAndKill(engine, dir, durability, firstId, facts)
          const t0 = performance.now()
          const store = await openMessageStore({ engine, dir, durability, minFreeDiskBytes: 0 })
          const opened = performance.now()
          try {
            await verify(store, facts)
          } finally {
            await store.close()
          }
          if (process.env.LEDGE_CRASH_VERBOSE) console.log(`${engine}/${durability} kill ${k}: ${facts.acked.size} acked, open ${(opened - t0).toFixed(0)} ms, verify+close ${(performance.now() - opened).toFixed(0)} ms`)
        }
        assert.ok(facts.acked.size > 500, `only ${facts.acked.size} messages acknowledged in ${KILLS} runs`)
      } finally {
        if (process.env.LEDGE_CRASH_KEEP) console.log(`kept ${dir}`)
        else await rm(dir, { recursive: true, force: true })
      }
    })
  })
}
