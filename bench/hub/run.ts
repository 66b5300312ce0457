/**
 * `npm run bench:hub`: the hub with many simulated devices, and Mosquitto as the peer baseline, in one run.
 *
 * The hub runs as a child process (`ledge hub start`), the devices in load-worker processes (MQTT.js over TLS), the
 * events reader in a sink process; this process only orchestrates and reads /proc. See bench/README.md.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { setPriority, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { REPO_ROOT, provisionDevices, startLedgeHub, startMosquitto, type BrokerProcess } from './brokers.js'
import { endChild, forkChild, type BenchChild } from './children.js'
import type { BrokerTarget } from './messages.js'
import { machineCpuSeconds, openFilesLimit, pinForBench } from './proc.js'
import { measureBroker, type BrokerResult, type Rig } from './phases.js'
import { parseOptions, USAGE, type BenchOptions } from './options.js'
import { machineDescription, resultsTable } from './report.js'
import { dropSchema } from './postgres.js'
import { redactUrl } from '@ledge/common'

const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)

/**
 * Node cannot raise its own open-files limit, so when it is too low the bench runs itself again under
 * `ulimit -n` (children inherit the limit). Returns true when it did (this process then only waits).
 */
function reexecWithMoreFiles(o: BenchOptions): boolean {
  const needed = o.devices + 2048
  const { soft, hard } = openFilesLimit()
  if (soft >= needed || process.env.LEDGE_BENCH_REEXEC) {
    if (soft < needed) log(`warning: open files limit is ${soft}; ${needed} are needed for ${o.devices} devices (EMFILE will show as connect failures)`)
    return false
  }
  log(`open files limit ${soft} < ${needed}: running again under 'ulimit -n' (hard limit ${hard})`)
  const script = `ulimit -n ${needed} 2>/dev/null || ulimit -n ${Number.isFinite(hard) ? hard : needed}; exec "$0" "$@"`
  const r = spawnSync('sh', ['-c', script, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, LEDGE_BENCH_REEXEC: '1' } })
  process.exitCode = r.status ?? 1
  return true
}

/** The commit the hub ran from, and whether packages/ had uncommitted changes. */
function revision(root: string): string {
  const git = (...args: string[]): string => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' }).stdout?.trim() ?? ''
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown commit'
  const dirty = git('status', '--porcelain', '--', 'packages').split('\n').filter(Boolean).length
  return `${head}${dirty ? ` + ${dirty} uncommitted change(s) in packages/` : ''}${root === REPO_ROOT ? '' : ` (${root})`}`
}

/**
 * Waits (up to `maxSeconds`) for 3 s in which the rest of the machine uses under 25 % of one core; returns the
 * background load of the last 3 s.
 */
async function waitForQuiet(maxSeconds: number): Promise<number> {
  const until = performance.now() + maxSeconds * 1000
  for (;;) {
    const before = machineCpuSeconds()
    await new Promise((r) => setTimeout(r, 3000))
    const percent = ((machineCpuSeconds().busy - before.busy) / 3) * 100
    if (percent < 25) {
      log(`background CPU load: ${percent.toFixed(0)} % of one core`)
      return percent
    }
    if (performance.now() >= until) {
      log(`warning: background CPU load is ${percent.toFixed(0)} % of one core; running anyway (figures will be low)`)
      return percent
    }
    log(`background CPU load is ${percent.toFixed(0)} % of one core; waiting for a quiet machine…`)
  }
}

/**
 * Applies `--nice` to every thread of this process (Linux keeps a nice value per thread) and, where the kernel
 * groups processes by session (`sched_autogroup`, under which plain nice only ranks processes within a session),
 * to this session's group. The hub, Mosquitto and the workers, started later, inherit both. Returns a function
 * that gives the session group its nice value back (it outlives the bench: it is the caller's shell's too).
 */
function prioritise(o: BenchOptions): () => void {
  if (o.nice === undefined) return () => undefined
  const group = '/proc/self/autogroup'
  let previous: string | undefined
  try {
    for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), o.nice)
    if (existsSync(group)) {
      previous = /nice (-?\d+)/.exec(readFileSync(group, 'utf8'))?.[1]
      writeFileSync(group, String(o.nice))
    }
  } catch (err) {
    log(`warning: cannot set nice ${o.nice}: ${(err as Error).message}`)
  }
  return () => {
    try {
      if (previous !== undefined) writeFileSync(group, previous)
    } catch {
      // The session keeps the bench's nice value; harmless.
    }
  }
}

/** `--pin`: the broker's event loop on CPU 0; every thread of the generator, reader and bench on CPU 1. */
function pin(o: BenchOptions, pid: number, cpu: 0 | 1): void {
  if (!o.pin) return
  const err = pinForBench(pid, cpu)
  if (err) log(`warning: cannot pin ${pid} to CPU ${cpu}: ${err}`)
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>
  try {
    parsed = parseOptions(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`)
    process.exitCode = 2
    return
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE)
    return
  }
  const o = parsed
  if (reexecWithMoreFiles(o)) return

  // The machine should be quiet: the hub, the generator and Mosquitto share its cores.
  const backgroundPercent = await waitForQuiet(o.quietWait)
  const deprioritise = prioritise(o)

  const work = mkdtempSync(join(tmpdir(), 'ledge-bench-'))
  const store = o.store ? { url: o.store, schema: `ledge_bench_${randomBytes(4).toString('hex')}` } : undefined
  const brokers: BrokerProcess[] = []
  const children: BenchChild[] = []
  let cleaned = false
  const cleanup = async (): Promise<void> => {
    if (cleaned) return
    cleaned = true
    await Promise.all(children.map((c) => endChild(c)))
    await Promise.all(brokers.map((b) => b.stop(20_000)))
    if (o.keep) log(`kept ${work}${store ? ` and the schema ${store.schema}` : ''}`)
    else {
      rmSync(work, { recursive: true, force: true })
      if (store) await dropSchema(store).catch((err: Error) => log(`could not drop the schema ${store.schema}: ${err.message}`))
    }
    deprioritise()
  }
  process.once('SIGINT', () => {
    log('interrupted: stopping the children')
    void cleanup().finally(() => process.exit(130))
  })

  try {
    const hubDir = join(work, 'hub')
    mkdirSync(hubDir)
    if (o.cpuProfDir) mkdirSync(o.cpuProfDir, { recursive: true })
    const hub = await startLedgeHub({
      dataDir: hubDir, logLevel: o.hubLogLevel, ...(store ? { store } : {}), ...(o.cpuProfDir ? { cpuProfDir: o.cpuProfDir } : {}), ...(o.ledgeRoot ? { root: resolve(o.ledgeRoot) } : {}),
    })
    brokers.push(hub)
    pin(o, hub.pid, 0)
    pin(o, process.pid, 1)
    log(`hub pid ${hub.pid}: mqtts 127.0.0.1:${hub.port}, https 127.0.0.1:${hub.httpsPort}`)

    const deviceIds = Array.from({ length: o.devices }, (_, i) => `bench-${String(i).padStart(6, '0')}`)
    const deviceKey = randomBytes(32).toString('base64')
    const t0 = performance.now()
    const prov = await provisionDevices(hub, deviceIds, deviceKey, o.provisionConcurrency)
    const provSeconds = (performance.now() - t0) / 1000
    if (prov.failed.length) throw new Error(`could not create every device:\n  ${prov.failed.join('\n  ')}`)
    log(`created ${prov.created} devices in ${provSeconds.toFixed(1)} s (${(prov.created / provSeconds).toFixed(0)}/s, ${o.provisionConcurrency} requests in parallel)`)

    const started = await Promise.all([
      ...Array.from({ length: o.workers }, (_, i) => forkChild(`worker${i + 1}`, './load-worker.ts', 'ready')),
      forkChild('sink', './sink-worker.ts', 'sink-ready'),
    ])
    children.push(...started)
    for (const c of started) pin(o, c.pid, 1)
    const rig: Rig = { workers: started.slice(0, o.workers), sink: started[o.workers]!, log }

    let rate = o.latencyRate === 'auto' ? 0 : o.latencyRate
    const ledgeTarget: BrokerTarget = { kind: 'ledge', host: hub.host, port: hub.port, caPem: hub.caPem, hubName: hub.hubName, deviceKey }
    const ledge = await measureBroker(rig, ledgeTarget, hub.pid, deviceIds,
      { kind: 'sse', url: `https://${hub.host}:${hub.httpsPort}/events?api-version=2021-04-12`, authorization: hub.serviceToken(), caPem: hub.caPem }, o,
      (tp) => (rate ||= Math.max(1, Math.round(tp.msgPerSec / 2 / 100) * 100)))
    await hub.stop()
    brokers.splice(brokers.indexOf(hub), 1)

    let mosq: BrokerResult | undefined
    if (o.mosquitto) {
      const dir = join(work, 'mosquitto')
      mkdirSync(dir)
      const m = await startMosquitto({ dir, certFile: hub.serverCertFile, keyFile: hub.serverKeyFile })
      brokers.push(m)
      pin(o, m.pid, 0)
      log(`mosquitto pid ${m.pid}: mqtts 127.0.0.1:${m.port}`)
      const target: BrokerTarget = { kind: 'mosquitto', host: m.host, port: m.port, caPem: hub.caPem, hubName: '', deviceKey: '' }
      mosq = await measureBroker(rig, target, m.pid, deviceIds, { kind: 'mqtt', url: `mqtts://${m.host}:${m.port}`, caPem: hub.caPem, topic: 'devices/+/messages/events/#' }, o, () => rate)
      await m.stop()
      brokers.splice(brokers.indexOf(m), 1)
    }

    // A --store URL is shown without its password.
    const args = process.argv.slice(2).map((a) => (/^postgres(ql)?:\/\//i.test(a) ? redactUrl(a) : a))
    const command = `npm run bench:hub${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`
    process.stdout.write(
      [
        '', `## Ledge hub vs Mosquitto: ${o.devices} devices`, '', machineDescription(),
        `- Command: \`${command}\`; hub code: ${revision(o.ledgeRoot ? resolve(o.ledgeRoot) : REPO_ROOT)}`,
        `- Background CPU load just before the run (other processes): ${backgroundPercent.toFixed(0)} % of one core${o.nice !== undefined ? `; the bench's processes ran at nice ${o.nice}` : ''}${o.pin ? '; broker pinned to CPU 0, load generator and reader to CPU 1' : ''}`,
        `- TLS negotiated: Ledge ${ledge.connect.tls}${mosq ? `; Mosquitto ${mosq.connect.tls}` : ''}`,
        `- Devices created through the REST API: ${prov.created} in ${provSeconds.toFixed(1)} s (${(prov.created / provSeconds).toFixed(0)}/s)`,
        '', resultsTable(o, ledge, mosq), '',
      ].join('\n') + '\n',
    )
    for (const r of [ledge, mosq]) {
      if (!r) continue
      const errs = { ...r.connect.errors, ...r.throughput.errors, ...r.latency.errors }
      if (Object.keys(errs).length) log(`${r.name} errors: ${JSON.stringify(errs)}`)
    }
    if (o.json) {
      writeFileSync(o.json, JSON.stringify({ options: o, provisioning: { created: prov.created, seconds: provSeconds }, ledge, mosquitto: mosq }, null, 2) + '\n')
      log(`figures written to ${o.json}`)
    }
  } finally {
    await cleanup()
  }
}

main().catch((err: unknown) => {
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  process.exitCode = 1
})
