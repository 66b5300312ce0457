/**
 * The table bench/edge-hub prints at the end (stderr; the JSON on stdout has every figure): throughput, latency and
 * memory of each edge hub run beside Mosquitto's and an idle bare `node`'s, the columns BENCHMARKS.md shows.
 */

interface Mem { rssMb: number; ussMb: number }
interface Max { msgsPerSec: number; ackedPerSec: number; peak: Mem }
interface Rate { rate: number; p50: number; p99: number }
interface Settled extends Mem { afterSeconds: number }
interface EdgeRun { idle: Mem & { noClients: Mem; heapUsedMb: number }; settled?: Settled; settledAfterLoad?: Settled; max: Max; half: Rate; halfOwn: Rate; drain: { msgsPerSecFromStart: number; unique: number; n: number } }
interface Results { baseline: { bareNode: Mem; tsxNode: Mem }; mosquitto?: { max: Max; half: Rate; idle: Mem }; [key: string]: unknown }

const n = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '–' : x >= 100 ? Math.round(x).toLocaleString('en') : String(Math.round(x * 10) / 10))
const mem = (m: Mem | undefined): string => (m ? `${n(m.rssMb)} / ${n(m.ussMb)}` : '–')

export function summaryTable(results: Record<string, unknown>): string {
  const r = results as Results
  const runs = Object.keys(r).filter((k) => k.startsWith('edgeHub-')).map((k) => [k.slice('edgeHub-'.length), r[k] as EdgeRun] as const)
  const mosq = r.mosquitto
  const header = ['Measure', ...runs.map(([d]) => `Edge hub, store ${d}`), 'Mosquitto', 'bare node']
  const rows: string[][] = [
    ['module → module received, max (msgs/s)', ...runs.map(([, e]) => n(e.max.msgsPerSec)), n(mosq?.max.msgsPerSec), ''],
    ['PUBACKs to the sender at max (msgs/s)', ...runs.map(([, e]) => n(e.max.ackedPerSec)), n(mosq?.max.ackedPerSec), ''],
    ["p50 / p99 at half Mosquitto's rate (ms)", ...runs.map(([, e]) => `${n(e.half.p50)} / ${n(e.half.p99)}`), mosq ? `${n(mosq.half.p50)} / ${n(mosq.half.p99)}` : '–', ''],
    ['drain: hub start → all in its events stream (msgs/s)', ...runs.map(([, e]) => `${n(e.drain.msgsPerSecFromStart)}${e.drain.unique === e.drain.n ? '' : ` (${e.drain.unique} of ${e.drain.n})`}`), '', ''],
    ['RSS / USS idle, no clients (MB)', ...runs.map(([, e]) => mem(e.idle.noClients)), '', mem(r.baseline.bareNode)],
    ['RSS / USS idle, two clients connected (MB)', ...runs.map(([, e]) => mem(e.idle)), mem(mosq?.idle), ''],
    ...(runs.some(([, e]) => e.settled)
      ? [
          [`RSS / USS idle ${runs[0]![1].settled?.afterSeconds} s after the clients connected (MB)`, ...runs.map(([, e]) => mem(e.settled)), '', ''],
          [`RSS / USS after the load phases, ${runs[0]![1].settledAfterLoad?.afterSeconds} s idle (MB)`, ...runs.map(([, e]) => mem(e.settledAfterLoad)), '', ''],
        ]
      : []),
    ['V8 heap used, idle (MB)', ...runs.map(([, e]) => n(e.idle.heapUsedMb)), '', ''],
    ['RSS / USS peak at max rate (MB)', ...runs.map(([, e]) => mem(e.max.peak)), mem(mosq?.max.peak), ''],
  ]
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`)
  return `${lines.join('\n')}\n(node --import tsx idling: ${mem(r.baseline.tsxNode)} MB)`
}
