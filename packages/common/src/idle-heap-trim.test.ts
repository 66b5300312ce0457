import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TestClock } from './clock.js'
import { trimHeapWhenIdle, type YoungGeneration } from './idle-heap-trim.js'

const KB = 1024
const MB = 1024 * KB

/**
 * A young generation driven by the test: `allocate` adds to it, a minor GC empties it and shrinks it to 1 MB (from
 * the `gcsBeforeShrink`th on); the times of minor GCs are in `gcs`, of full ones in `majors`.
 */
function youngGeneration(sizeBytes: number, gcsBeforeShrink = 1) {
  const state: YoungGeneration = { usedBytes: 0, sizeBytes }
  const gcs: number[] = []
  const majors: number[] = []
  let unshrunk = gcsBeforeShrink
  return {
    state,
    gcs,
    majors,
    allocate: (bytes: number) => void (state.usedBytes += bytes),
    grow: (bytes: number) => void (state.sizeBytes = bytes),
    scavenge: () => void (state.usedBytes = 0),
    options: (clock: TestClock) => ({
      clock, sampleMs: 1_000, quietMs: 4_000, quietBytesPerSample: 100 * KB,
      read: () => ({ ...state }),
      gc: (type: 'minor' | 'major') => {
        if (type === 'major') return void majors.push(clock.now())
        gcs.push(clock.now())
        state.usedBytes = 0
        if (--unshrunk <= 0) state.sizeBytes = 1 * MB
      },
    }),
  }
}

test('one minor GC once the process has been quiet for quietMs after a burst, and none while it stays quiet', () => {
  const clock = new TestClock()
  const young = youngGeneration(1 * MB)
  const trims: [YoungGeneration, YoungGeneration, boolean][] = []
  const trim = trimHeapWhenIdle({ ...young.options(clock), onTrim: (...t) => trims.push(t) })
  // A burst: 5 MB a second, with a scavenge now and then; V8 grows the young generation.
  for (let s = 0; s < 10; s++) {
    young.allocate(5 * MB)
    if (s === 4) young.grow(32 * MB)
    if (s % 3 === 2) young.scavenge()
    clock.advance(1_000)
  }
  assert.deepEqual(young.gcs, [], 'no GC asked for while busy')
  // Quiet: a few KB a second (timers, a scrape).
  for (let s = 0; s < 3; s++) { young.allocate(10 * KB); clock.advance(1_000) }
  assert.deepEqual(young.gcs, [], 'not before quietMs')
  young.allocate(10 * KB)
  clock.advance(1_000)
  assert.deepEqual(young.gcs, [14_000], 'after 4 quiet samples')
  assert.deepEqual(young.majors, [14_000], 'it shrank: then one full GC')
  assert.deepEqual(trims, [[{ usedBytes: 5 * MB + 40 * KB, sizeBytes: 32 * MB }, { usedBytes: 0, sizeBytes: 1 * MB }, true]])
  for (let s = 0; s < 60; s++) { young.allocate(10 * KB); clock.advance(1_000) }
  assert.equal(young.gcs.length, 1, 'an idle process is not woken again')
  trim.stop()
})

test('each busy → quiet turn gets its trim; a GC V8 ran by itself counts as busy; none at the smallest size', () => {
  const clock = new TestClock()
  const young = youngGeneration(1 * MB)
  const trim = trimHeapWhenIdle(young.options(clock))
  clock.advance(10_000)
  assert.deepEqual(young.gcs, [], 'quiet from the start at the smallest size: a scavenge would only commit more')
  young.allocate(1 * MB)
  young.grow(2 * MB)
  clock.advance(10_000)
  assert.deepEqual(young.gcs, [], 'twice the smallest is not worth it either')
  young.allocate(6 * MB)
  young.grow(8 * MB) // start-up, or a burst
  clock.advance(5_000)
  assert.deepEqual(young.gcs, [25_000])
  young.grow(16 * MB)
  young.allocate(2 * MB)
  clock.advance(1_000)
  young.scavenge() // V8's own GC between two samples: the figure drops
  clock.advance(1_000)
  clock.advance(3_000)
  assert.deepEqual(young.gcs, [25_000], 'the quiet spell restarted at the GC V8 ran')
  clock.advance(1_000)
  assert.deepEqual(young.gcs, [25_000, 31_000])
  trim.stop()
  young.allocate(50 * MB)
  young.grow(32 * MB)
  clock.advance(60_000)
  assert.equal(young.gcs.length, 2, 'stopped: no more samples')
})

test('a scavenge that leaves the young generation as it was is tried again a quiet spell later, three times at most', () => {
  const clock = new TestClock()
  const young = youngGeneration(1 * MB, 2)
  const trim = trimHeapWhenIdle(young.options(clock))
  young.allocate(20 * MB)
  young.grow(32 * MB)
  clock.advance(5_000)
  assert.deepEqual(young.gcs, [5_000])
  clock.advance(3_000)
  assert.deepEqual(young.gcs, [5_000], 'not sooner than quietMs after the first')
  clock.advance(1_000)
  assert.deepEqual(young.gcs, [5_000, 9_000], 'the second one shrank it')
  assert.deepEqual(young.majors, [9_000], 'a full GC only once it shrank')
  clock.advance(30_000)
  assert.equal(young.gcs.length, 2)

  trim.stop()
  const stubborn = youngGeneration(1 * MB, 10)
  const trimStubborn = trimHeapWhenIdle(stubborn.options(clock))
  stubborn.allocate(20 * MB)
  stubborn.grow(32 * MB)
  clock.advance(60_000)
  assert.equal(stubborn.gcs.length, 3, 'given up after three, until the next burst')
  assert.deepEqual(stubborn.majors, [])
  stubborn.allocate(20 * MB)
  clock.advance(60_000)
  assert.equal(stubborn.gcs.length, 6)
  trimStubborn.stop()
})

test('in a real V8: a young generation grown by a burst is back to its start size after the quiet spell', () => {
  // A process of its own, so this test runner's allocation does not count as traffic.
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8'
    import { trimHeapWhenIdle } from ${JSON.stringify(fileURLToPath(new URL('./idle-heap-trim.ts', import.meta.url)))}
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
    const startSize = young()
    const gcs = []
    trimHeapWhenIdle({ sampleMs: 500, quietMs: 5500, onTrim: (before, after, shrunk) => {
      gcs.push([before.sizeBytes, after.sizeBytes])
      if (!shrunk) return
      console.log(JSON.stringify({ startSize, grown, gcs }))
      process.exit(0)
    } })
    let keep = []
    for (const until = Date.now() + 1500; Date.now() < until;) {
      keep.push({ body: Buffer.alloc(1024), at: String(Math.random()) })
      if (keep.length > 20000) keep = keep.slice(10000)
    }
    keep = undefined
    const grown = young()
    setTimeout(() => { console.log(JSON.stringify({ startSize, grown, gcs })); process.exit(0) }, 20000)
  `
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { startSize: number; grown: number; gcs: [number, number][] }
  assert.ok(r.grown >= 8 * r.startSize, `the burst grew the young generation (${r.startSize} → ${r.grown} bytes)`)
  assert.ok(r.gcs.length >= 1 && r.gcs.length <= 3, `1 to 3 minor GCs: ${JSON.stringify(r.gcs)}`)
  assert.ok(r.gcs.at(-1)![1] <= r.startSize, `trimmed back to its start size (${r.startSize}): ${JSON.stringify(r.gcs)}`)
})
