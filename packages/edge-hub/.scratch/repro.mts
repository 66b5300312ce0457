import { spawn } from 'node:child_process'
import Database from 'better-sqlite3'
const dir = '/tmp/repro-' + process.pid
async function run(first: number, ms: number) {
  const c = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/writer.ts', 'sqlite', dir, 'os', String(first)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  c.stdout.setEncoding('utf8'); c.stdout.on('data', (d) => { out += d; if (out.startsWith('ready') && !(c as any).t) (c as any).t = setTimeout(() => c.kill('SIGKILL'), ms) })
  await new Promise((r) => c.on('exit', r))
  return out.split('\n').filter((l) => l.startsWith('ack')).map((l) => l.split(' ').slice(1).map(Number))
}
const a0 = await run(1001, 300)
const a1 = await run(3001, 300)
const db = new Database(dir + '/messages.db')
const rows = db.prepare("SELECT seq, json_extract(header, '$.p.id') AS id FROM messages").all() as { seq: number; id: string }[]
const bySeq = new Map(rows.map((r) => [r.seq, Number(r.id)]))
let bad = 0
for (const [id, off] of [...a0, ...a1]) if (bySeq.has(off) && bySeq.get(off) !== id) { if (bad++ < 5) console.log('mismatch', id, off, bySeq.get(off)) }
console.log('acked', a0.length, a1.length, 'rows', rows.length, 'bad', bad, 'a1 first', a1.slice(0, 3), 'meta', db.prepare('SELECT * FROM meta').get())
console.log(rows.slice(0,3), rows.slice(-3))
