import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { openSqliteMessageStore } from '/work/main/packages/edge-hub/src/store/sqlite/sqlite-message-store.ts'
const dir = mkdtempSync('/tmp/rec-')
await new Promise<void>((resolve) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/edge-store/fill.ts', 'sqlite', dir, 'os', '20000', '1024'], { stdio: ['ignore', 'pipe', 'inherit'] })
  child.stdout.on('data', () => child.kill('SIGKILL'))
  child.on('close', () => resolve())
})
const { execSync } = await import('node:child_process')
console.log(execSync(`ls -la ${dir}`).toString())
let t = performance.now()
const Database = (await import('better-sqlite3')).default
const db = new Database(dir + '/messages.db'); db.pragma('journal_mode = WAL'); console.log('raw open', performance.now() - t); 
t = performance.now(); db.prepare('select count(*) from messages').get(); console.log('count', performance.now() - t)
t = performance.now(); db.prepare('select count(*) from refs where queue_id = 1').get(); console.log('count refs', performance.now() - t)
db.close()
t = performance.now()
const s = openSqliteMessageStore({ dir, minFreeDiskBytes: 0, durability: 'os' })
console.log('store open', performance.now() - t)
