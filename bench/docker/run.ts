/**
 * `node --import tsx bench/docker/run.ts [--runs 20]`: how long the docker runtime takes to get a module running
 * from a locally present image (imagePullPolicy never: no registry), against the real engine.
 *
 * Per run, one fresh module (`node -e` in the FROM-scratch test image, host networking, Docker's init):
 *   - create:        `runtime.create()` (settings checked, image looked up, container created)
 *   - start:         `runtime.start()` until the engine reports the container running
 *   - create→running the two together: what a deployment's create + start command costs in the runtime
 *   - create→output  until the module's first line is readable through `runtime.logs()` (node inside has started)
 *   - stop+remove:   `runtime.remove()` of the running module (SIGTERM honoured at once)
 * Prints a markdown table (median, p95, min, max in ms) and the machine.
 */
import { cpus, totalmem } from 'node:os'
import { behaviourModule, buildNodeImage, dockerProblem, testRuntime, TEST_DOCKER_URI } from '@ledge/runtime-docker/testing'
import { connect } from '@ledge/runtime-docker'

const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20
const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`)

const problem = await dockerProblem()
if (problem) {
  console.error(problem)
  process.exit(1)
}
const docker = connect(TEST_DOCKER_URI)
const image = await buildNodeImage(docker, { name: 'node' })
const rt = await testRuntime()
const samples: Record<string, number[]> = { 'create': [], 'start': [], 'create→running': [], 'create→first output': [], 'stop+remove': [] }

async function firstOutput(name: string): Promise<void> {
  for (;;) {
    for await (const _ of rt.runtime.logs(name, { tail: 1 })) return
    await new Promise((r) => setTimeout(r, 2))
  }
}

try {
  // One warm-up run: the first container of a fresh engine pays for loading the image's layers.
  for (let i = -1; i < RUNS; i++) {
    const name = `bench${i + 1}`
    const config = behaviourModule(image, name, { kind: 'print', lines: ['up'], thenSleep: true })
    const t0 = performance.now()
    await rt.runtime.create(config)
    const t1 = performance.now()
    await rt.runtime.start(name)
    const t2 = performance.now()
    await firstOutput(name)
    const t3 = performance.now()
    await rt.runtime.remove(name)
    const t4 = performance.now()
    if (i < 0) continue
    samples['create']!.push(t1 - t0)
    samples['start']!.push(t2 - t1)
    samples['create→running']!.push(t2 - t0)
    samples['create→first output']!.push(t3 - t0)
    samples['stop+remove']!.push(t4 - t3)
    log(`run ${i + 1}/${RUNS}: create→running ${(t2 - t0).toFixed(0)} ms`)
  }
} finally {
  await rt.cleanup()
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}
const v = await docker.version()
console.log(`Docker runtime, locally present image (${RUNS} runs after 1 warm-up; Docker ${v.Version}, ${v.Os}/${v.Arch}, storage ${(await docker.info()).Driver}; ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB)\n`)
console.log('| step | median ms | p95 ms | min ms | max ms |')
console.log('|---|---:|---:|---:|---:|')
for (const [step, xs] of Object.entries(samples)) {
  console.log(`| ${step} | ${pct(xs, 50).toFixed(0)} | ${pct(xs, 95).toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${Math.max(...xs).toFixed(0)} |`)
}
