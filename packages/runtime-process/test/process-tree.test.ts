import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { logTexts, waitForStatus, waitUntil } from '@ledge/module-runtime/testing'
import { alive, tempRuntime, waitGone } from './helpers.js'

/**
 * `tree.cjs 0 stay|exit`: level 0 starts level 1, which starts level 2; each prints `pid<level> <pid>`. Levels 1 and
 * 2 ignore SIGTERM; level 0 exits 0 on it, or with `exit`, by itself once level 2 is up (level 2 sends it SIGUSR2).
 */
const TREE = `
const { spawn } = require('node:child_process')
const [level, mode] = [Number(process.argv[2]), process.argv[3]]
const root = level === 0 ? process.pid : Number(process.argv[4])
process.on('SIGTERM', () => { if (level === 0) process.exit(0) })
process.on('SIGUSR2', () => process.exit(0))
console.log('pid' + level + ' ' + process.pid)
if (level < 2) spawn(process.execPath, [__filename, String(level + 1), mode, String(root)], { stdio: 'inherit' })
else if (mode === 'exit') process.kill(root, 'SIGUSR2')
setInterval(() => {}, 1 << 30)
`

async function startTree(rt: Awaited<ReturnType<typeof tempRuntime>>, args: string[]): Promise<number[]> {
  await writeFile(join(rt.modulesDir, 'tree.cjs'), TREE)
  await rt.runtime.create({ name: 'tree', type: 'process', settings: { command: process.execPath, args: ['tree.cjs', ...args] }, env: {} })
  await rt.runtime.start('tree')
  return waitUntil('the three processes of the tree', async () => {
    const texts = await logTexts(rt.runtime, 'tree')
    const pids = [0, 1, 2].map((level) => Number(texts.find((t) => t.startsWith(`pid${level} `))?.split(' ')[1]))
    return pids.every((p) => p > 0) ? pids : undefined
  })
}

describe('process trees', () => {
  it('stop reaches children and grandchildren, even those that ignore SIGTERM', async () => {
    await using rt = await tempRuntime()
    const pids = await startTree(rt, ['0', 'stay'])
    assert.equal(pids[0], (await rt.runtime.get('tree'))?.pid)
    assert.ok(pids.every(alive))
    const t0 = Date.now()
    await rt.runtime.stop('tree', { graceMs: 60_000 })
    assert.ok(Date.now() - t0 < 30_000, 'the main process honoured SIGTERM: no need to wait for the grace')
    for (const pid of pids) assert.ok(await waitGone(pid), `pid ${pid} survived the stop`)
  })

  it('when the main process exits by itself, what it left behind is killed', async () => {
    await using rt = await tempRuntime()
    const pids = await startTree(rt, ['0', 'exit'])
    const state = await waitForStatus(rt.runtime, 'tree', ['stopped', 'failed'])
    assert.equal(state.status, 'stopped')
    for (const pid of pids) assert.ok(await waitGone(pid), `pid ${pid} outlived its module`)
  })
})
