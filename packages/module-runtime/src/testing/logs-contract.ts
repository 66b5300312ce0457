/** Logs: order, streams, times, tail/since/until, completeness at exit, and follow. */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { LogLine } from '../module-runtime.js'
import type { RuntimeCase } from './harness.js'
import { collect, logTexts, waitForLog, waitForStatus, WAIT_MS } from './wait.js'

export function logsContract(test: RuntimeCase): void {
  describe('logs', () => {
    test('every line in order, with its stream and time; complete as soon as the module is seen to exit', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'print', lines: ['one', 'two', ' three  '], stderr: ['oops'], thenSleep: false }))
      const before = Date.now() - 1000
      await s.runtime.start('m1')
      await waitForStatus(s.runtime, 'm1', ['stopped', 'failed'])
      const lines = await collect(s.runtime.logs('m1'))
      assert.deepEqual(lines.filter((l) => l.stream === 'stdout').map((l) => l.text), ['one', 'two', ' three  '])
      assert.deepEqual(lines.filter((l) => l.stream === 'stderr').map((l) => l.text), ['oops'])
      for (const l of lines) {
        const t = Date.parse(l.time)
        assert.ok(t >= before && t <= Date.now() + 1000, `time ${l.time}`)
      }
      assert.deepEqual(lines.map((l) => l.time), lines.map((l) => l.time).sort(), 'lines come oldest first')
    })

    test('a created module has no logs', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'sleep' }))
      assert.deepEqual(await collect(s.runtime.logs('m1')), [])
      assert.deepEqual(await collect(s.runtime.logs('m1', { tail: 5 })), [])
    })

    test('tail: only the last N lines', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'print', lines: ['a', 'b', 'c', 'd'], thenSleep: false }))
      await s.runtime.start('m1')
      await waitForStatus(s.runtime, 'm1', 'stopped')
      assert.deepEqual(await logTexts(s.runtime, 'm1', { tail: 2 }), ['c', 'd'])
      assert.deepEqual(await logTexts(s.runtime, 'm1', { tail: 10 }), ['a', 'b', 'c', 'd'])
      assert.deepEqual(await logTexts(s.runtime, 'm1', { tail: 0 }), [])
    })

    test('since and until: lines at or after `since`, at or before `until`', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'print', lines: ['a', 'b', 'c', 'd', 'e'], intervalMs: 250, thenSleep: false }))
      await s.runtime.start('m1')
      await waitForStatus(s.runtime, 'm1', 'stopped')
      const all = await collect(s.runtime.logs('m1'))
      assert.equal(all.length, 5)
      const at = (l: LogLine) => Date.parse(l.time)
      // The lines were written 250 ms apart; even on a loaded machine their times are not all the same.
      const since = all.map(at).find((t) => t > at(all[0]!))
      const until = all.map(at).findLast((t) => t < at(all[4]!))
      assert.ok(since !== undefined && until !== undefined, `the lines are spread in time: ${all.map((l) => l.time).join(', ')}`)
      const expectSince = all.filter((l) => at(l) >= since).map((l) => l.text)
      const expectUntil = all.filter((l) => at(l) <= until).map((l) => l.text)
      assert.deepEqual(await logTexts(s.runtime, 'm1', { since }), expectSince)
      assert.deepEqual(await logTexts(s.runtime, 'm1', { until }), expectUntil)
      const expectBoth = all.filter((l) => at(l) >= since && at(l) <= until).map((l) => l.text)
      assert.deepEqual(await logTexts(s.runtime, 'm1', { since, until }), expectBoth)
      assert.deepEqual(await logTexts(s.runtime, 'm1', { since: Date.now() + 60_000 }), [])
      assert.deepEqual(await logTexts(s.runtime, 'm1', { since, tail: 1 }), ['e'])
    })

    test('follow: yields new lines, with no gap or repeat, until the signal aborts', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'tick', intervalMs: 100 }))
      await s.runtime.start('m1')
      await waitForLog(s.runtime, 'm1', 'tick 1')
      const ac = new AbortController()
      const got: string[] = []
      let abortedAt = 0
      for await (const line of s.runtime.logs('m1', { follow: true, tail: 1, signal: ac.signal })) {
        got.push(line.text)
        if (got.length === 4) {
          ac.abort()
          abortedAt = Date.now()
        }
      }
      assert.ok(Date.now() - abortedAt < 5000, 'the iteration ends soon after the abort')
      const n = Number(got[0]!.split(' ')[1])
      assert.ok(n >= 1)
      assert.deepEqual(got.slice(0, 4), [n, n + 1, n + 2, n + 3].map((i) => `tick ${i}`))
    })

    test('follow: waits for a module that has not started yet, then streams its lines', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'print', lines: ['first', 'second'], intervalMs: 50, thenSleep: true }))
      const ac = new AbortController()
      const timer = setTimeout(() => ac.abort(), WAIT_MS)
      const following = (async () => {
        const got: string[] = []
        for await (const line of s.runtime.logs('m1', { follow: true, signal: ac.signal })) {
          got.push(line.text)
          if (got.length === 2) ac.abort()
        }
        return got
      })()
      await new Promise((resolve) => setTimeout(resolve, 100))
      await s.runtime.start('m1')
      const got = await following
      clearTimeout(timer)
      assert.deepEqual(got, ['first', 'second'])
    })

    test('follow with an already aborted signal ends after the existing lines', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'print', lines: ['x'], thenSleep: true }))
      await s.runtime.start('m1')
      await waitForLog(s.runtime, 'm1', 'x')
      assert.deepEqual(await logTexts(s.runtime, 'm1', { follow: true, signal: AbortSignal.abort() }), ['x'])
    })
  })
}
