import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, it } from 'node:test'
import { alive, tempRuntime } from './helpers.js'

const openFds = () => readdirSync('/proc/self/fd').length

describe('50 modules', () => {
  it('start, list fast and without leaking descriptors, and all stop on close', async () => {
    await using rt = await tempRuntime()
    const names = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`)
    // Each ignores SIGTERM (the ignored disposition survives the exec of sleep): close() must wait out the 1 s grace.
    const settings = { command: 'sh', args: ['-c', 'trap "" TERM; sleep 600'], stopGraceSeconds: 1 }
    for (const name of names) await rt.runtime.create({ name, type: 'process', settings, env: {} })
    const t0 = performance.now()
    await Promise.all(names.map((n) => rt.runtime.start(n)))
    const startMs = performance.now() - t0
    assert.ok(startMs < 30_000, `starting 50 took ${startMs} ms`)

    const fds = openFds()
    const t1 = performance.now()
    const rounds = 200
    for (let i = 0; i < rounds; i++) {
      const list = await rt.runtime.list()
      assert.equal(list.length, 50)
    }
    const perList = (performance.now() - t1) / rounds
    // About 0.5 ms on the development VM; the bound leaves room for a loaded machine.
    assert.ok(perList < 20, `list() of 50 took ${perList.toFixed(2)} ms`)
    assert.ok(openFds() <= fds, 'list() opens nothing')

    const pids = (await rt.runtime.list()).map((m) => m.pid!)
    assert.ok(pids.every(alive))
    const t2 = performance.now()
    await rt.runtime.close()
    const closeMs = performance.now() - t2
    assert.ok(closeMs >= 900 && closeMs < 20_000, `close took ${closeMs} ms: the graces run in parallel, not one after another`)
    assert.ok(pids.every((p) => !alive(p)))
  })
})
