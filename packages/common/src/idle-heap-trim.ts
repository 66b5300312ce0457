/**
 * Gives a burst's memory back once the process is quiet again.
 *
 * Under load V8 grows its young generation (to 2 × 16 MB with Node's defaults) and shrinks it only at a GC that sees
 * a low allocation rate over the last ~5 s. A process that goes idle after a burst allocates too little to reach any
 * GC at all, so it keeps the grown young generation for good, and the garbage in it, and the Buffers that garbage
 * holds off-heap: the edge hub stayed at 103 MB RSS after a burst, 57 MB before it (bench/edge-hub), and V8's memory
 * reducer had not shrunk it after 60 s of quiet.
 *
 * So a process that wants its idle footprint back watches its young generation (two numbers from V8, every couple
 * of seconds) and, once it has allocated next to nothing for `quietMs` after being busy while the young generation is
 * more than twice the smallest it has been, asks for a minor GC: a scavenge touches only the young objects still alive
 * (a millisecond or so at idle), and V8, seeing the quiet, shrinks the young generation to its start size; then one
 * full GC. At most three minor GCs per busy → quiet turn, a quiet spell apart, until it has shrunk; an idle process is
 * never woken again for it.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { systemClock, type Clock } from './clock.js'

/**
 * V8 shrinks at a GC only if the allocation rate over its last 5 s of GC intervals is low, and the interval that holds
 * the burst's tail may still count: the first scavenge can just end that interval; the next, a whole quiet spell
 * later, then shrinks.
 */
const GCS_PER_QUIET_SPELL = 3

export interface YoungGeneration {
  /** Bytes allocated in it since its last GC (V8's `space_used_size` of `new_space`). */
  usedBytes: number
  /** Bytes it has reserved (`space_size`). */
  sizeBytes: number
}

export interface IdleHeapTrimOptions {
  /** How long the young generation must stay quiet before the GC: longer than V8's 5 s allocation-rate window. */
  quietMs?: number
  /** How often it is read. */
  sampleMs?: number
  /** Allocation per sample below which the process counts as quiet (timers, a metrics scrape). */
  quietBytesPerSample?: number
  clock?: Clock
  /** Ports, for tests: how the young generation is read, and how a GC is asked for. */
  read?: () => YoungGeneration
  gc?: (type: 'minor' | 'major') => void
  /** Told after each minor GC it asked for: the young generation before and after, and whether it shrank (then a full GC followed). */
  onTrim?: (before: YoungGeneration, after: YoungGeneration, shrunk: boolean) => void
}

export interface IdleHeapTrim {
  stop(): void
}

export function trimHeapWhenIdle(options: IdleHeapTrimOptions = {}): IdleHeapTrim {
  const clock = options.clock ?? systemClock
  const sampleMs = options.sampleMs ?? 2_000
  const quietMs = options.quietMs ?? 8_000
  const quietBytes = options.quietBytesPerSample ?? 256 * 1024
  const read = options.read ?? readYoungGeneration
  const gc = options.gc ?? v8Gc()

  let previous = read()
  // Only a young generation more than twice the smallest it has been is worth the GCs: a scavenge of one at (or near)
  // its smallest commits its other half (+1 MB, nothing given back), and V8 shrinks a start-up heap on its own.
  let smallestSize = previous.sizeBytes
  let quietFor = 0
  // Start-up allocates as a burst does: the first quiet spell after it may be worth a trim too.
  let gcsLeft = GCS_PER_QUIET_SPELL
  let timer: { cancel(): void } | undefined

  const sample = (): void => {
    const now = read()
    // A smaller figure means a GC ran since the last sample, which only allocation triggers: not quiet.
    const allocated = now.usedBytes - previous.usedBytes
    const quiet = allocated >= 0 && allocated < quietBytes
    quietFor = quiet ? quietFor + sampleMs : 0
    if (!quiet) gcsLeft = GCS_PER_QUIET_SPELL
    smallestSize = Math.min(smallestSize, now.sizeBytes)
    previous = now
    if (gcsLeft > 0 && quietFor >= quietMs && now.sizeBytes > 2 * smallestSize) {
      gc('minor')
      gcsLeft--
      quietFor = 0
      const after = read()
      smallestSize = Math.min(smallestSize, after.sizeBytes)
      const shrunk = after.sizeBytes <= smallestSize
      if (shrunk) {
        // What the burst promoted and then dropped sits in old-space pages (and holds Buffers off-heap) until a full
        // GC, which a quiet process does not reach either: one now, ~10 ms on an idle edge hub's heap.
        gc('major')
        gcsLeft = 0
      }
      options.onTrim?.(now, after, shrunk)
      previous = read()
    }
    timer = clock.setTimeout(sample, sampleMs)
  }
  timer = clock.setTimeout(sample, sampleMs)
  return { stop: () => timer?.cancel() }
}

function readYoungGeneration(): YoungGeneration {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
  return { usedBytes: space?.space_used_size ?? 0, sizeBytes: space?.space_size ?? 0 }
}

/**
 * V8's `gc` function without starting Node with `--expose-gc`: the flag, set at run time, takes effect for contexts
 * created afterwards, so a fresh context has the function (~0.1 MB, made at the first trim). It collects the whole
 * isolate's heap.
 */
function v8Gc(): (type: 'minor' | 'major') => void {
  let gc = (globalThis as { gc?: (options: object) => void }).gc
  return (type) => {
    if (!gc) {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc') as (options: object) => void
    }
    gc({ type })
  }
}
