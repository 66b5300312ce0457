/**
 * Edge hub store engines, measured (issue 4). For each engine × durability:
 *
 * - add: `--messages` adds of `--payload` bytes to one queue, `--window` adds in flight (group commit), msgs/s, and the
 *   longest event-loop stall meanwhile; then one add at a time for `--single-seconds` (the cost of one commit)
 * - drain: read 100 + checkpoint (the next read overlapping the checkpoint's commit) until the queue is empty, msgs/s
 * - disk: the store's files after the adds, per message, for 1 and for 3 endpoints per message
 * - recovery: a child fills `--recovery-messages`, is killed -9, and the store is opened again: ms to open and read
 *
 * Usage: node --import tsx bench/edge-store/run.ts [--engines log,sqlite] [--durability fsync,os] [--messages 100000]
 *        [--window 1000] [--payload 1024] [--recovery-messages 100000] [--single-seconds 2] [--repeat 3] [--json out.json]
 *        (add --expose-gc to node for the recovery heap figure)
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Durability, MessageStore } from '../../packages/edge-hub/src/store/message-store.js'
import { openMessageStore, type StoreEngine } from '../../packages/edge-hub/src/store/open-message-store.js'

const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'log,sqlite' },
    durability: { type: 'string', default: 'fsync,os' },
    messages: { type: 'string', default: '100000' },
    window: { type: 'string', default: '1000' },
    payload: { type: 'string', default: '1024' },
    'recovery-messages': { type: 'string', default: '100000' },
    'single-seconds': { type: 'string', default: '2' },
    repeat: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
})
const N = Number(args.messages)
const WINDOW = Number(args.window)
const PAYLOAD = Number(args.payload)
const RECOVERY_N = Number(args['recovery-messages'])
const FILL = fileURLToPath(new URL('./fill.ts', import.meta.url))

const open = (engine: StoreEngine, dir: string, durability: Durability) =>
  openMessageStore({ engine, dir, durability, minFreeDiskBytes: 0, maxBytes: 8 * 1024 ** 3 })

function message(i: number) {
  return { body: Buffer.alloc(PAYLOAD, i & 0xff), systemProperties: { messageId: `m${i}`, connectionModuleId: 'camera' }, properties: { seq: String(i) } }
}

/** The longest gap between two 1 ms ticks: how long the event loop was blocked (by a synchronous commit, say). */
function stallMeter(): () => number {
  let last = performance.now()
  let max = 0
  const t = setInterval(() => {
    const now = performance.now()
    max = Math.max(max, now - last)
    last = now
  }, 1)
  return () => {
    clearInterval(t)
    return max
  }
}

async function addAll(store: MessageStore, n: number, window: number, endpoints: string[]): Promise<{ perSec: number; maxStallMs: number }> {
  const targets = endpoints.map((endpointId) => ({ endpointId, priority: 0, expiresAt: Infinity }))
  const stall = stallMeter()
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < n) await store.add(message(next++), targets)
    }),
  )
  const s = (performance.now() - t0) / 1000
  return { perSec: n / s, maxStallMs: stall() }
}

async function singleAdds(store: MessageStore, seconds: number): Promise<number> {
  const targets = [{ endpointId: 'single', priority: 0, expiresAt: Infinity }]
  let n = 0
  const t0 = performance.now()
  while (performance.now() - t0 < seconds * 1000) await store.add(message(n++), targets)
  return n / ((performance.now() - t0) / 1000)
}

/** Reads batches of 100 from a cursor; each checkpoint commits while the next batch is read (one in flight). */
async function drain(store: MessageStore, endpointId: string): Promise<number> {
  let n = 0
  let cursor = 0
  let pending: Promise<void> = Promise.resolve()
  const t0 = performance.now()
  for (;;) {
    const batch = await store.read({ endpointId, priority: 0, from: cursor + 1, limit: 100 })
    if (batch.length === 0) break
    n += batch.length
    cursor = batch.at(-1)!.offset
    await pending
    pending = store.checkpoint(endpointId, 0, cursor)
  }
  await pending
  return n / ((performance.now() - t0) / 1000)
}

async function recovery(engine: StoreEngine, durability: Durability): Promise<{ openMs: number; firstReadMs: number; heapMiB: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-bench-recovery-'))
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', FILL, engine, dir, durability, String(RECOVERY_N), String(PAYLOAD)], { stdio: ['ignore', 'pipe', 'inherit'] })
      child.stdout.on('data', (d: Buffer) => d.toString().includes('filled') && child.kill('SIGKILL'))
      child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error('fill child did not get killed'))))
    })
    globalThis.gc?.()
    const heap0 = process.memoryUsage().heapUsed
    const t0 = performance.now()
    const store = await open(engine, dir, durability)
    const t1 = performance.now()
    const first = await store.read({ endpointId: '$upstream', priority: 0, limit: 100 })
    const t2 = performance.now()
    if (first.length !== 100 || store.stats().messages !== RECOVERY_N) throw new Error(`recovered ${store.stats().messages} of ${RECOVERY_N}`)
    globalThis.gc?.()
    const heapMiB = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024
    await store.close()
    return { openMs: t1 - t0, firstReadMs: t2 - t1, heapMiB }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function diskPerMessage(engine: StoreEngine, durability: Durability, endpoints: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-bench-disk-'))
  try {
    const store = await open(engine, dir, durability)
    await addAll(store, N, WINDOW, Array.from({ length: endpoints }, (_, i) => `e${i}`))
    const bytes = store.size()
    await store.close()
    return bytes / N
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

type Row = Record<string, number | string>
const REPEAT = Number(args.repeat)
const runs = new Map<string, Row[]>()
console.log(`edge store bench: ${N} × ${PAYLOAD} B, window ${WINDOW}, ${REPEAT} rounds, ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
// Rounds interleave the engines, so that a burst of load from elsewhere hits all of them, and the medians are kept.
for (let round = 0; round < REPEAT; round++) {
  for (const engine of args.engines.split(',') as StoreEngine[]) {
    for (const durability of args.durability.split(',') as Durability[]) {
      const dir = await mkdtemp(join(tmpdir(), 'ledge-bench-'))
      try {
        const store = await open(engine, dir, durability)
        const add = await addAll(store, N, WINDOW, ['mod/input1'])
        const bytes = store.size()
        const drained = await drain(store, 'mod/input1')
        const single = await singleAdds(store, Number(args['single-seconds']))
        await store.close()
        const disk3 = await diskPerMessage(engine, durability, 3)
        const rec = await recovery(engine, durability)
        const row: Row = {
          engine,
          durability,
          addPerSec: Math.round(add.perSec),
          maxStallMs: Number(add.maxStallMs.toFixed(1)),
          singleAddPerSec: Math.round(single),
          drainPerSec: Math.round(drained),
          diskPerMsg1: Math.round(bytes / N),
          diskPerMsg3: Math.round(disk3),
          recoveryOpenMs: Math.round(rec.openMs),
          recoveryFirstReadMs: Number(rec.firstReadMs.toFixed(1)),
          recoveryHeapMiB: Number(rec.heapMiB.toFixed(1)),
          load1: Number(loadavg()[0]!.toFixed(1)),
        }
        const key = `${engine}/${durability}`
        runs.set(key, [...(runs.get(key) ?? []), row])
        console.log(JSON.stringify(row))
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const rows: Row[] = [...runs.values()].map((rs) => {
  const out: Row = { engine: rs[0]!.engine!, durability: rs[0]!.durability! }
  for (const k of Object.keys(rs[0]!)) if (typeof rs[0]![k] === 'number') out[k] = median(rs.map((r) => r[k] as number))
  return out
})
console.log(`medians of ${REPEAT} rounds:`)
console.table(rows)
if (args.json) await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), n: N, payload: PAYLOAD, window: WINDOW, rows, runs: Object.fromEntries(runs) }, null, 2))
