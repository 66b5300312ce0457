/** The results as a markdown table: Ledge and the Mosquitto baseline side by side, with the issue's targets. */
import { cpus, totalmem } from 'node:os'
import { execFileSync } from 'node:child_process'
import type { BenchOptions } from './options.js'
import type { BrokerResult } from './phases.js'
import type { Summary } from './stats.js'

const TARGET_RSS = 1024 ** 3
const TARGET_MSGS = 20_000
const TARGET_P99_MS = 50

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`
const num = (n: number): string => Math.round(n).toLocaleString('en-US')
const ms = (v: number | undefined): string => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1))
const pct = (v: number): string => `${v.toFixed(0)} %`
const lat = (s: Summary | undefined): string => (s ? `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)} ms` : '–')

/** CPU µs per message from a CPU percentage (of one core) and a message rate. */
function perMessage(cpuPercent: number, msgPerSec: number, ceiling = true): string {
  if (msgPerSec <= 0) return '–'
  const us = (cpuPercent / 100 / msgPerSec) * 1e6
  return `${us.toFixed(0)} µs${ceiling ? ` (${num(1e6 / us)} msg/s)` : ''}`
}

export function machineDescription(): string {
  let mosquitto = '?'
  try {
    mosquitto = /mosquitto version (\S+)/.exec(execFileSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }))?.[1] ?? '?'
  } catch (err) {
    mosquitto = /mosquitto version (\S+)/.exec(String((err as { stdout?: string }).stdout ?? ''))?.[1] ?? '?'
  }
  return [
    `- CPU: ${cpus()[0]?.model ?? '?'}, ${cpus().length} logical cores (nproc); RAM ${(totalmem() / 1024 ** 3).toFixed(0)} GiB`,
    `- Node ${process.version}, ${process.platform} ${process.arch}; Mosquitto ${mosquitto}`,
  ].join('\n')
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`
}

export function resultsTable(o: BenchOptions, ledge: BrokerResult, mosq: BrokerResult | undefined): string {
  const both = (f: (r: BrokerResult) => string): [string, string] => [f(ledge), mosq ? f(mosq) : 'not run']
  const met = (ok: boolean): string => (ok ? '**met**' : '**not met**')
  const rssTarget = ledge.connect.ok >= 10_000 ? met(ledge.rssIdleConnected < TARGET_RSS && ledge.throughput.usage.brokerRssPeak < TARGET_RSS) : `n/a (${num(ledge.connect.ok)} devices)`
  const lines = [
    row(['Figure', 'Ledge hub', 'Mosquitto (peer)', 'Target (2 cores)', 'Ledge']),
    row(['---', '---:', '---:', '---', '---']),
    row(['Devices connected and held (asked for)', ...both((r) => `${num(r.connect.ok)} (${num(o.devices)})${r.connect.failed ? `, ${num(r.connect.failed)} failed` : ''}`), '10,000', o.devices < 10_000 ? `n/a (${num(o.devices)} asked)` : met(ledge.connect.ok >= 10_000)]),
    row([`Connect rate, ${o.connectConcurrency} CONNECTs in progress per worker`, ...both((r) => `${num(r.connect.perSecond)} /s (${r.connect.seconds.toFixed(1)} s)`), '', '']),
    row(['Connect time per device p50 / p99 / max (TCP + TLS + CONNACK, under the ramp)', ...both((r) => lat(r.connect.latency)), '', '']),
    row(['Broker RSS before connecting', ...both((r) => mib(r.rssBeforeConnect)), '', '']),
    row([`Broker RSS, all connected, idle ${o.idle} s`, ...both((r) => mib(r.rssIdleConnected)), '< 1 GB at 10,000', rssTarget]),
    row(['… per connection ((idle − before) / connected)', ...both((r) => `${((r.rssIdleConnected - r.rssBeforeConnect) / Math.max(1, r.connect.ok) / 1024).toFixed(1)} KiB`), '', '']),
    row(['… CPU during the ramp: broker / load generator / other processes (% of one core)', ...both((r) => `${pct(r.connect.usage.brokerCpuPercent)} / ${pct(r.connect.usage.generatorCpuPercent)} / ${pct(r.connect.usage.otherCpuPercent)}`), '', '']),
    row([`**D2C msg/s at QoS 1**, acknowledged (${num(ledge.throughput.publishers)} publishers × ${o.window} in flight, ${o.payloadBytes} B, ${o.duration} s)`, ...both((r) => `**${num(r.throughput.msgPerSec)}**`), '≥ 20,000', met(ledge.throughput.msgPerSec >= TARGET_MSGS)]),
    row(['… publish → PUBACK p50 / p99 / max at that load', ...both((r) => lat(r.throughput.puback)), '', '']),
    row(['… CPU: broker / load generator / interrupts / other processes / whole machine (% of one core; 200 % = both cores)', ...both((r) => `${pct(r.throughput.usage.brokerCpuPercent)} / ${pct(r.throughput.usage.generatorCpuPercent)} / ${pct(r.throughput.usage.irqCpuPercent)} / ${pct(r.throughput.usage.otherCpuPercent)} / ${pct(r.throughput.usage.machineCpuPercent)}`), '', '']),
    row(['… broker CPU time per message (and the rate that would fill one core)', ...both((r) => perMessage(r.throughput.usage.brokerCpuPercent, r.throughput.msgPerSec)), '', '']),
    row(['… load-generator CPU time per message', ...both((r) => perMessage(r.throughput.usage.generatorCpuPercent, r.throughput.msgPerSec, false)), '', '']),
    row(['… broker peak RSS', ...both((r) => mib(r.throughput.usage.brokerRssPeak)), '< 1 GB', '']),
    row(['… unacknowledged / errors / dropped connections', ...both((r) => `${num(r.throughput.unacked)} / ${num(Object.values(r.throughput.errors).reduce((a, b) => a + b, 0))} / ${num(r.throughput.disconnects)}`), '', '']),
    row([`Latency phase: offered rate, ${o.latencyDuration} s, spread over the same ${num(ledge.throughput.publishers)} publishers`, ...both((r) => `${num(r.latency.targetRate)} msg/s (achieved ${num(r.latency.achievedRate)})`), '', '']),
    row(['… publish → PUBACK p50 / p99 / max', ...both((r) => lat(r.latency.puback)), '', '']),
    row(['… **publish → reader** p50 / p99 / max (Ledge: event on `GET /events`; Mosquitto: QoS 0 subscriber)', ...both((r) => `**${lat(r.latency.endToEnd)}**`), 'p99 < 50 ms', met((ledge.latency.endToEnd?.p99 ?? Infinity) < TARGET_P99_MS)]),
    row(['… received by the reader / acknowledged', ...both((r) => `${num(r.latency.received)} / ${num(r.latency.acked)}`), '', '']),
    row(['… CPU: broker / load generator / reader / other processes (% of one core)', ...both((r) => `${pct(r.latency.usage.brokerCpuPercent)} / ${pct(r.latency.usage.generatorCpuPercent)} / ${pct(r.latency.usage.sinkCpuPercent)} / ${pct(r.latency.usage.otherCpuPercent)}`), '', '']),
    row(['… worst generator lag behind schedule', ...both((r) => `${ms(r.latency.maxLagMs)} ms`), '', '']),
  ]
  return lines.join('\n')
}
