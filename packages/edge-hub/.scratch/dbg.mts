import { mkdtempSync } from 'node:fs'
import { openSqliteMessageStore } from '/work/main/packages/edge-hub/src/store/sqlite/sqlite-message-store.ts'
import { msg } from '/work/main/packages/edge-hub/test/store-contract.ts'
const dir = mkdtempSync('/tmp/dbg-')
const s = openSqliteMessageStore({ dir, maxBytes: 2*1024*1024, fullPolicy: 'drop-oldest', minFreeDiskBytes: 0 })
for (let i = 0; i < 6000; i += 50) {
  try { await Promise.all(Array.from({ length: 50 }, (_, k) => s.add(msg(i + k, 1024), [{endpointId:'a',priority:0,expiresAt:Infinity}]))) }
  catch (e) { console.log('fail at', i, String(e)); const st = s.stats(); console.log({...st, queues: st.queues}, s.size(), (s as any).livePages, (s as any).reserve, (s as any).db.pragma('page_count',{simple:true}), (s as any).db.pragma('freelist_count',{simple:true})); break }
  if (i % 500 === 0) { const st = s.stats(); console.log(i, st.messages, st.dropped, st.usedBytes, s.size(), (s as any).livePages) }
}
