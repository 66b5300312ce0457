/** The bench's flags, their defaults and checks. */
import { parseArgs } from 'node:util'

export interface BenchOptions {
  devices: number
  workers: number
  /** Throughput phase, seconds. */
  duration: number
  /** Devices publishing in the throughput and latency phases (the first ones of each worker). */
  publishers: number
  /** Messages each publisher keeps in flight. */
  window: number
  payloadBytes: number
  /** Latency phase: messages/s, or 'auto' for half the hub's measured maximum. */
  latencyRate: number | 'auto'
  latencyDuration: number
  /** Seconds to wait, all devices connected and silent, before reading the idle RSS. */
  idle: number
  connectConcurrency: number
  provisionConcurrency: number
  mosquitto: boolean
  hubLogLevel: string
  cpuProfDir: string | undefined
  /** The checkout whose `ledge` runs as the hub (to compare a change against this one). */
  ledgeRoot: string | undefined
  json: string | undefined
  /** Scheduling priority (nice) for the bench's processes; negative (root only) favours them over other load. */
  nice: number | undefined
  /** Pin the broker to CPU 0 and the bench's own processes to CPU 1 (2-core machines: one core each). */
  pin: boolean
  /** Seconds to wait at most for a quiet machine before starting. */
  quietWait: number
  keep: boolean
  /** `postgres://…`: the hub keeps its data in PostgreSQL (a schema of the run's own, dropped after) instead of SQLite. */
  store: string | undefined
}

export const USAGE = `Usage: npm run bench:hub -- [flags]

  --devices <n>               simulated devices (MQTT connections) (10000)
  --workers <n>               load-generator processes (2)
  --duration <s>              throughput phase (20); 0 skips it (then give --latency-rate)
  --publishers <n>            devices publishing in the throughput and latency phases (all)
  --window <n>                messages in flight per publisher (1)
  --payload-bytes <n>         JSON payload size (256)
  --latency-rate <n|auto>     latency phase rate, msg/s; auto = half Ledge's measured max (auto)
  --latency-duration <s>      latency phase (15)
  --idle <s>                  quiet time before the idle RSS reading (5)
  --connect-concurrency <n>   CONNECTs in progress per worker (100)
  --provision-concurrency <n> PUT /devices requests in progress (50)
  --no-mosquitto              skip the Mosquitto baseline
  --hub-log-level <level>     the hub's --log-level (info, its default)
  --cpu-prof <dir>            profile the hub (node --cpu-prof) into <dir>
  --ledge-root <dir>          run the hub from another checkout (default: this one)
  --json <file>               also write every figure as JSON
  --nice=<n>                  run the hub, Mosquitto and the bench's processes (and their session group) at this nice (e.g.
                              --nice=-10, as root) so that other work on a shared machine disturbs them less
  --pin                       broker on CPU 0, load generator, reader and bench on CPU 1 (taskset)
  --quiet-wait <s>            wait up to this long for a quiet machine before starting (120)
  --keep                      keep the temp folder (hub data, logs)
  --store <postgres://…>      run the hub on PostgreSQL (ledge hub start --store) in a schema of its own, dropped
                              after the run (kept with --keep); default: SQLite in the hub's data folder
`

function int(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not '${v}'`)
  return n
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      devices: { type: 'string' }, workers: { type: 'string' }, duration: { type: 'string' }, publishers: { type: 'string' },
      window: { type: 'string' }, 'payload-bytes': { type: 'string' }, 'latency-rate': { type: 'string' },
      'latency-duration': { type: 'string' }, idle: { type: 'string' }, 'connect-concurrency': { type: 'string' },
      'provision-concurrency': { type: 'string' }, 'no-mosquitto': { type: 'boolean' }, 'hub-log-level': { type: 'string' },
      'cpu-prof': { type: 'string' }, 'ledge-root': { type: 'string' }, json: { type: 'string' }, 'quiet-wait': { type: 'string' }, nice: { type: 'string' }, pin: { type: 'boolean' }, keep: { type: 'boolean' }, store: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  })
  if (v.help) return 'help'
  const devices = int('devices', v.devices, 10_000, 1)
  const rate = v['latency-rate']
  if (v.duration === '0' && (rate === undefined || rate === 'auto')) throw new Error('--duration 0 skips the throughput phase: give --latency-rate <n>')
  return {
    devices,
    workers: int('workers', v.workers, 2, 1),
    duration: int('duration', v.duration, 20, 0),
    publishers: Math.min(devices, int('publishers', v.publishers, devices, 1)),
    window: int('window', v.window, 1, 1),
    payloadBytes: int('payload-bytes', v['payload-bytes'], 256, 64),
    latencyRate: rate === undefined || rate === 'auto' ? 'auto' : int('latency-rate', rate, 0, 1),
    latencyDuration: int('latency-duration', v['latency-duration'], 15, 1),
    idle: int('idle', v.idle, 5, 0),
    connectConcurrency: int('connect-concurrency', v['connect-concurrency'], 100, 1),
    provisionConcurrency: int('provision-concurrency', v['provision-concurrency'], 50, 1),
    mosquitto: !v['no-mosquitto'],
    hubLogLevel: v['hub-log-level'] ?? 'info',
    cpuProfDir: v['cpu-prof'],
    ledgeRoot: v['ledge-root'],
    json: v.json,
    nice: v.nice === undefined ? undefined : int('nice', v.nice, 0, -20),
    pin: v.pin ?? false,
    quietWait: int('quiet-wait', v['quiet-wait'], 120, 0),
    keep: v.keep ?? false,
    store: v.store,
  }
}
