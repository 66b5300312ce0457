/**
 * Face-detector benchmark: frames per second at 640×480 (JPEG decode + detection, as the module does it in its
 * workers), on one worker (one core) and on two, for the tiny and the SSD detector; then RSS over many frames.
 *
 *   node --import tsx bench/face-detector/run.ts [--seconds 8] [--frames 2000] [--models tiny,ssd] [--workers 1,2]
 *
 * A model may name the tiny detector's input size: `--models tiny@320,tiny,ssd` (the default input is 416).
 *
 * Frames: the 25 sample photos (modules/camera/samples/mixed; made by prepare-samples.mjs) cropped to 640×480 and
 * encoded at quality 80, as the camera module sends them by default. Each run keeps every worker busy (2 frames
 * in flight per worker) and counts completed frames over `--seconds` after a warm-up.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { silentLogger } from '@ledge/common'
import { WorkerPool, type DetectResult } from '../../modules/face-detector/src/detector/worker-pool.js'
import { parseDetectorSettings, type ModelName } from '../../modules/face-detector/src/settings.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    frames: { type: 'string', default: '2000' },
    models: { type: 'string', default: 'tiny,ssd' },
    workers: { type: 'string', default: '1,2' },
  },
})
const seconds = Number(values.seconds)
const rssFrames = Number(values.frames)
const models = values.models.split(',').map((m) => {
  const [name, size] = m.split('@')
  if (name !== 'tiny' && name !== 'ssd') throw new Error(`unknown model ${m}: tiny, tiny@<input size> or ssd`)
  return { label: m, model: name as ModelName, inputSize: size ? Number(size) : parseDetectorSettings({}).inputSize }
})
const workerCounts = values.workers.split(',').map(Number)

const root = new URL('../../', import.meta.url).pathname
const prep = spawnSync(process.execPath, [join(root, 'modules/camera/scripts/prepare-samples.mjs')], { stdio: 'inherit' })
if (prep.status !== 0) process.exit(1)
const dir = join(root, 'modules/camera/samples/mixed')
const frames = await Promise.all(readdirSync(dir).sort().map((f) => sharp(join(dir, f)).rotate().resize(640, 480, { fit: 'cover' }).jpeg({ quality: 80 }).toBuffer()))
const meanBytes = Math.round(frames.reduce((a, b) => a + b.length, 0) / frames.length)

interface Run { frames: number; fps: number; decodeMs: number; inferenceMs: number; cpuFps: number }

async function throughput(pool: WorkerPool, model: ModelName, inputSize: number, ms: number, inFlight: number): Promise<Run> {
  const s = parseDetectorSettings({ model })
  const opts = { model, scoreThreshold: s.scoreThreshold, inputSize }
  let i = 0
  let done = 0
  let decode = 0
  let infer = 0
  let counting = false
  const until = { end: Infinity }
  const one = async (): Promise<void> => {
    while (performance.now() < until.end) {
      const r: DetectResult = await pool.detect(frames[i++ % frames.length]!, opts)
      if (!r.ok) throw new Error(r.message)
      if (counting) {
        done++
        decode += r.decodeMs
        infer += r.inferenceMs
      }
    }
  }
  // Warm-up (model load, wasm compilation), then the measured window.
  until.end = performance.now() + 2000
  await Promise.all(Array.from({ length: inFlight }, one))
  counting = true
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  until.end = t0 + ms
  await Promise.all(Array.from({ length: inFlight }, one))
  const elapsed = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  return { frames: done, fps: (done * 1000) / elapsed, decodeMs: decode / done, inferenceMs: infer / done, cpuFps: done / cpuSeconds }
}

const mb = (n: number): string => (n / 1024 / 1024).toFixed(0)
console.log(`\nface-detector benchmark: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, Node ${process.version}, 640×480 JPEG q80 (mean ${(meanBytes / 1024).toFixed(0)} KiB), tfjs wasm (SIMD, 1 thread per worker); load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`)
// "frames per CPU-second" (frames ÷ the process's CPU time) is what one fully available core would do: unlike wall-clock
// fps it does not fall when other processes share the cores.
console.log('| model | workers | frames | fps (wall clock) | fps per worker | frames per CPU-second | decode ms | inference ms |')
console.log('|---|---|---|---|---|---|---|---|')
for (const { label, model, inputSize } of models) {
  for (const n of workerCounts) {
    const pool = new WorkerPool({ size: n, maxQueue: 64, init: { preload: [model] }, log: silentLogger() })
    await pool.start()
    const r = await throughput(pool, model, inputSize, seconds * 1000, n * 2)
    await pool.close()
    console.log(`| ${label} | ${n} | ${r.frames} | ${r.fps.toFixed(1)} | ${(r.fps / n).toFixed(1)} | ${r.cpuFps.toFixed(1)} | ${r.decodeMs.toFixed(1)} | ${r.inferenceMs.toFixed(1)} |`)
  }
}

// RSS: tiny on the largest worker count, `rssFrames` frames, sampled every 10% after a 100-frame warm-up.
{
  const n = Math.max(...workerCounts)
  const pool = new WorkerPool({ size: n, maxQueue: 64, init: { preload: ['tiny'] }, log: silentLogger() })
  await pool.start()
  const s = parseDetectorSettings({})
  const opts = { model: 'tiny' as const, scoreThreshold: s.scoreThreshold, inputSize: s.inputSize }
  const samples: number[] = []
  let next = 0
  let tensors = new Set<number>()
  const step = Math.max(1, Math.floor(rssFrames / 10))
  const worker = async (): Promise<void> => {
    for (;;) {
      const k = next++
      if (k >= rssFrames + 100) return
      const r = await pool.detect(frames[k % frames.length]!, opts)
      tensors.add(r.numTensors)
      if (k >= 100 && (k - 100) % step === 0) samples.push(process.memoryUsage().rss)
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: n * 2 }, worker))
  const secs = (performance.now() - t0) / 1000
  samples.push(process.memoryUsage().rss)
  await pool.close()
  const first = samples[0]!
  const last = samples[samples.length - 1]!
  console.log(`\nRSS over ${rssFrames} frames (tiny, ${n} workers, ${(rssFrames / secs).toFixed(1)} fps, whole process incl. workers): ` +
    `after warm-up ${mb(first)} MiB, max ${mb(Math.max(...samples))} MiB, end ${mb(last)} MiB (${last >= first ? '+' : ''}${mb(last - first)} MiB); ` +
    `tfjs tensors per worker: ${[...tensors].join(', ')}`)
  console.log(`RSS samples (MiB): ${samples.map(mb).join(' ')}`)
  console.log(`load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other processes on the machine lower the figures)`)
  tensors = new Set()
}
