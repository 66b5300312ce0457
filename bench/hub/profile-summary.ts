/**
 * Summarises a V8 `.cpuprofile` (from `npm run bench:hub -- --cpu-prof <dir>`): the functions with the most self
 * time, and the same time grouped by package or file.
 *
 *   node --import tsx bench/hub/profile-summary.ts <file.cpuprofile> [top=25] [<bench.json> <phase>]
 *
 * With the bench's `--json` output and a phase (connect, idle, throughput, latency), only the samples taken during
 * that phase of the Ledge run count: V8 stamps samples with the monotonic clock the bench records phases with.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

function where(url: string): string {
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const pkg = /\/packages\/([^/]+)\/src\/(.*)$/.exec(url)
  if (pkg) return `@ledge/${pkg[1]}/${pkg[2]}`
  if (url.startsWith('node:')) return url
  return url === '' ? '(native/V8)' : url.replace(/^file:\/\//, '')
}

const [file, topArg, benchJson, phase] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n')
  process.exit(2)
}
const top = Number(topArg ?? 25)
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(p.nodes.map((n) => [n.id, n]))
// Self time per node from the samples and their time deltas (µs).
let window: [number, number] = [-Infinity, Infinity]
if (benchJson && phase) {
  const w = (JSON.parse(readFileSync(benchJson, 'utf8')) as { ledge: { phaseClockUs: Record<string, [number, number]> } }).ledge.phaseClockUs[phase]
  if (!w) throw new Error(`no phase '${phase}' in ${benchJson}`)
  window = w
}
const self = new Map<number, number>()
let at = p.startTime
p.samples?.forEach((id, i) => {
  const dt = p.timeDeltas?.[i] ?? 0
  at += dt
  if (at >= window[0] && at <= window[1]) self.set(id, (self.get(id) ?? 0) + dt)
})
const total = [...self.values()].reduce((a, b) => a + b, 0)

const fn = new Map<string, number>()
const area = new Map<string, number>()
for (const [id, us] of self) {
  const n = byId.get(id)!
  const f = n.callFrame
  const key = `${f.functionName || '(anonymous)'}  ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`
  fn.set(key, (fn.get(key) ?? 0) + us)
  const a = f.url.includes('/packages/') ? where(f.url) : where(f.url).split('/')[0]!
  area.set(a, (area.get(a) ?? 0) + us)
}
const line = (us: number, label: string): string => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${label}`
const out = [`${file}${phase ? ` (${phase} phase)` : ''}: ${(total / 1e6).toFixed(1)} s sampled`, '', `Top ${top} functions by self time:`]
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(line(us, k))
out.push('', 'Self time by package / file:')
for (const [k, us] of [...area].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(line(us, k))
process.stdout.write(out.join('\n') + '\n')
