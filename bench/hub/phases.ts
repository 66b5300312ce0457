/**
 * The measured phases, the same for each broker: connect and hold every device, idle, saturate with QoS 1
 * telemetry, then a fixed rate with a reader timing each message end to end.
 */
import { call, type BenchChild } from './children.js'
import type { BrokerTarget, ConnectResult, DisconnectResult, PublishResult, SinkResult, SinkSource, WorkerCommand } from './messages.js'
import type { BenchOptions } from './options.js'
import { rssBytes, UsageSampler, type IntervalUsage } from './proc.js'
import { mergeCounts, summarise, type Summary } from './stats.js'

export interface PhaseUsage {
  brokerCpuPercent: number
  brokerRssPeak: number
  generatorCpuPercent: number
  sinkCpuPercent: number
  machineCpuPercent: number
  /** Interrupt handling (the loopback network stack's softirq), charged to no process. */
  irqCpuPercent: number
  /** Busy CPU of everything else on the machine: not the broker, the bench, its children or interrupts. */
  otherCpuPercent: number
}

export interface BrokerResult {
  name: string
  /** Each phase's start and end on the monotonic clock, µs (the clock of V8 CPU profiles; see profile-summary.ts). */
  phaseClockUs: Record<string, [number, number]>
  rssBeforeConnect: number
  connect: { ok: number; failed: number; errors: Record<string, number>; seconds: number; perSecond: number; latency: Summary | undefined; tls: string; usage: PhaseUsage }
  rssIdleConnected: number
  idleCpuPercent: number
  throughput: {
    publishers: number; window: number; msgPerSec: number; acked: number; unacked: number; errors: Record<string, number>
    disconnects: number; perSecond: number[]; puback: Summary | undefined; usage: PhaseUsage
  }
  latency: {
    targetRate: number; achievedRate: number; sent: number; acked: number; received: number; maxLagMs: number
    puback: Summary | undefined; endToEnd: Summary | undefined; endToEndPath: string; errors: Record<string, number>; usage: PhaseUsage
  }
}

export interface Rig {
  workers: BenchChild[]
  sink: BenchChild
  log(line: string): void
}

function usageOf(u: IntervalUsage, rig: Rig): PhaseUsage {
  const sum = (names: string[]): number => names.reduce((n, k) => n + (u.byName[k]?.cpuPercent ?? 0), 0)
  const ours = sum(Object.keys(u.byName))
  return {
    irqCpuPercent: u.irqCpuPercent,
    otherCpuPercent: Math.max(0, u.machineCpuPercent - u.irqCpuPercent - ours),
    brokerCpuPercent: u.byName.broker?.cpuPercent ?? 0,
    brokerRssPeak: u.byName.broker?.rssPeak ?? 0,
    generatorCpuPercent: sum(rig.workers.map((w) => w.name)),
    sinkCpuPercent: sum([rig.sink.name]),
    machineCpuPercent: u.machineCpuPercent,
  }
}

function sampler(rig: Rig, brokerPid: number): UsageSampler {
  const pids: Record<string, number> = { broker: brokerPid, bench: process.pid, [rig.sink.name]: rig.sink.pid }
  for (const w of rig.workers) pids[w.name] = w.pid
  return new UsageSampler(pids)
}

/** Splits `n` into `parts` near-equal shares. */
function shares(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0))
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const monoUs = (): number => Number(process.hrtime.bigint() / 1000n)

export async function measureBroker(
  rig: Rig, target: BrokerTarget, brokerPid: number, deviceIds: string[], sinkSource: SinkSource, o: BenchOptions, latencyRate: (r: BrokerResult['throughput']) => number,
): Promise<BrokerResult> {
  const { workers } = rig
  const phaseClockUs: Record<string, [number, number]> = {}
  let phaseStart = monoUs()
  const endPhase = (name: string): void => {
    const now = monoUs()
    phaseClockUs[name] = [phaseStart, now]
    phaseStart = now
  }
  const rssBeforeConnect = rssBytes(brokerPid) ?? 0

  // 1. Connect every device and hold the connections.
  rig.log(`[${target.kind}] connecting ${deviceIds.length} devices from ${workers.length} worker(s)…`)
  let at = 0
  const idShares = shares(deviceIds.length, workers.length).map((n) => deviceIds.slice(at, (at += n)))
  const progress = new Array<number>(workers.length).fill(0)
  const ticker = setInterval(() => rig.log(`[${target.kind}]   ${progress.reduce((a, b) => a + b, 0)} connected`), 2000)
  let s = sampler(rig, brokerPid)
  const connects = await Promise.all(
    workers.map((w, i) =>
      call<ConnectResult>(w, { type: 'connect', target, deviceIds: idShares[i]!, concurrency: o.connectConcurrency, timeoutMs: 30_000 } satisfies WorkerCommand, 'connected',
        600_000, (m) => {
          if (m.type === 'progress') progress[i] = (m as unknown as { connected: number }).connected
        }),
    ),
  )
  clearInterval(ticker)
  endPhase('connect')
  const connectUsage = usageOf(s.stop(), rig)
  const ok = connects.reduce((n, c) => n + c.ok, 0)
  const seconds = (Math.max(...connects.map((c) => c.finishedAt)) - Math.min(...connects.map((c) => c.startedAt))) / 1000
  const connect = {
    ok, failed: connects.reduce((n, c) => n + c.failed, 0), errors: connects.reduce((e, c) => mergeCounts(e, c.errors), {}), seconds,
    perSecond: ok / seconds, latency: summarise(...connects.map((c) => c.connectMs)), tls: connects[0]?.tls ?? '', usage: connectUsage,
  }
  rig.log(`[${target.kind}] ${ok} connected, ${connect.failed} failed, in ${seconds.toFixed(1)} s (${connect.perSecond.toFixed(0)}/s)`)

  // 2. Idle: everyone connected, nobody talking.
  s = sampler(rig, brokerPid)
  await sleep(o.idle * 1000)
  const idle = s.stop()
  endPhase('idle')
  const rssIdleConnected = rssBytes(brokerPid) ?? 0
  rig.log(`[${target.kind}] idle RSS with ${ok} connected: ${(rssIdleConnected / 2 ** 20).toFixed(0)} MiB`)

  // 3. Throughput: publishers keep a window of QoS 1 messages in flight.
  const publishers = Math.min(o.publishers, ok)
  rig.log(`[${target.kind}] throughput: ${publishers} publishers × ${o.window} in flight for ${o.duration} s…`)
  s = sampler(rig, brokerPid)
  const pubShares = shares(publishers, workers.length)
  // --duration 0 skips the phase (the workers are not asked).
  const tp = o.duration === 0 ? [] : await Promise.all(
    workers.map((w, i) =>
      call<PublishResult>(w, { type: 'throughput', publishers: pubShares[i]!, window: o.window, durationMs: o.duration * 1000, payloadBytes: o.payloadBytes, drainMs: 15_000 } satisfies WorkerCommand,
        'published', o.duration * 1000 + 60_000),
    ),
  )
  endPhase('throughput')
  const tpUsage = usageOf(s.stop(), rig)
  const windowS = Math.max(1e-3, ...tp.map((r) => r.windowMs)) / 1000
  const ackedInWindow = tp.reduce((n, r) => n + r.ackedInWindow, 0)
  const perSecond = tp.reduce((acc, r) => acc.map((v, i) => v + (r.perSecond[i] ?? 0)), new Array<number>(Math.ceil(windowS)).fill(0))
  const throughput = {
    publishers, window: o.window, msgPerSec: ackedInWindow / windowS, acked: tp.reduce((n, r) => n + r.acked, 0), unacked: tp.reduce((n, r) => n + r.unacked, 0),
    errors: tp.reduce((e, r) => mergeCounts(e, r.errors), {}), disconnects: tp.reduce((n, r) => n + r.disconnects, 0), perSecond,
    puback: summarise(...tp.map((r) => r.pubackMs)), usage: tpUsage,
  }
  rig.log(`[${target.kind}] ${throughput.msgPerSec.toFixed(0)} msg/s acknowledged (hub CPU ${tpUsage.brokerCpuPercent.toFixed(0)} %, generator ${tpUsage.generatorCpuPercent.toFixed(0)} %)`)

  // 4. Latency at a fixed rate, timed at the PUBACK and at the reader.
  const rate = latencyRate(throughput)
  const tag = `lat-${target.kind}-${process.pid}`
  rig.log(`[${target.kind}] latency: ${rate} msg/s for ${o.latencyDuration} s…`)
  await call(rig.sink, { type: 'start', source: sinkSource, tag }, 'sink-started', 30_000)
  phaseStart = monoUs()
  s = sampler(rig, brokerPid)
  const rateShares = shares(rate, workers.length)
  const lat = await Promise.all(
    workers.map((w, i) =>
      call<PublishResult>(w, { type: 'rate', publishers: pubShares[i]!, ratePerSec: rateShares[i]!, durationMs: o.latencyDuration * 1000, payloadBytes: o.payloadBytes, drainMs: 15_000, tag } satisfies WorkerCommand,
        'published', o.latencyDuration * 1000 + 60_000),
    ),
  )
  const sent = lat.reduce((n, r) => n + r.sent, 0)
  const acked = lat.reduce((n, r) => n + r.acked, 0)
  const sink = await call<SinkResult>(rig.sink, { type: 'stop', waitMs: 15_000, expected: acked }, 'sink-stopped', 60_000)
  endPhase('latency')
  const latUsage = usageOf(s.stop(), rig)
  const latency = {
    targetRate: rate, achievedRate: lat.reduce((n, r) => n + r.ackedInWindow, 0) / o.latencyDuration, sent, acked, received: sink.received,
    maxLagMs: Math.max(...lat.map((r) => r.maxLagMs)), puback: summarise(...lat.map((r) => r.pubackMs)), endToEnd: summarise(sink.latencyMs),
    endToEndPath: sinkSource.kind === 'sse' ? 'publish → event on GET /events (SSE)' : 'publish → delivery to a QoS 0 subscriber',
    errors: mergeCounts(lat.reduce((e, r) => mergeCounts(e, r.errors), {}), sink.errors), usage: latUsage,
  }
  rig.log(`[${target.kind}] p50/p99 end to end ${latency.endToEnd?.p50.toFixed(1)}/${latency.endToEnd?.p99.toFixed(1)} ms; ${sink.received}/${acked} received`)

  // 5. Everyone leaves.
  await Promise.all(workers.map((w) => call<DisconnectResult>(w, { type: 'disconnect', timeoutMs: 20_000 } satisfies WorkerCommand, 'disconnected', 60_000)))
  return {
    name: target.kind, phaseClockUs, rssBeforeConnect, connect, rssIdleConnected, idleCpuPercent: idle.byName.broker?.cpuPercent ?? 0, throughput, latency,
  }
}
