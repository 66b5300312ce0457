/**
 * Durability: the modules a runtime knew are known again after it is closed and reopened (a daemon restart), with
 * their configs, labels, exit codes and logs, and can be started again. Skipped for adapters that give no `reopen`.
 *
 * A module that was running when the runtime closed comes back either `running` (the adapter left it running and
 * adopts it, as a container engine can) or `stopped` (the adapter stopped it on close, as the process runtime does);
 * each adapter documents which.
 */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { RuntimeCase } from './harness.js'
import { logTexts, waitForStatus } from './wait.js'

function durable(test: RuntimeCase): RuntimeCase {
  return (name, fn) =>
    test(name, async (s, t) => {
      if (!s.canReopen) return t.skip('the adapter gives no reopen()')
      await fn(s, t)
    })
}

export function durabilityContract(test: RuntimeCase): void {
  const it = durable(test)
  describe('durability (close and reopen)', () => {
    it('modules survive a restart of the runtime, and can be started again', async (s) => {
      const configs = {
        created: { ...s.config('created', { kind: 'sleep' }), labels: { hash: 'h1' } },
        running: s.config('running', { kind: 'sleep' }),
        failed: s.config('failed', { kind: 'exit', code: 4, afterMs: 0 }),
        done: { ...s.config('done', { kind: 'print', lines: ['kept'], thenSleep: false }), env: { A: 'b' } },
      }
      let rt = s.runtime
      for (const c of Object.values(configs)) await rt.create(c)
      for (const name of ['running', 'failed', 'done']) await rt.start(name)
      await waitForStatus(rt, 'failed', 'failed')
      await waitForStatus(rt, 'done', 'stopped')
      await rt.create(s.config('removed', { kind: 'sleep' }))
      await rt.remove('removed')
      const before = Object.fromEntries((await rt.list()).map((m) => [m.name, m]))

      rt = await s.reopen()
      const after = Object.fromEntries((await rt.list()).map((m) => [m.name, m]))
      assert.deepEqual(Object.keys(after).sort(), ['created', 'done', 'failed', 'running'])
      for (const [name, config] of Object.entries(configs)) assert.deepEqual(after[name]!.config, config, name)
      assert.equal(after.created!.status, 'created')
      assert.deepEqual(after.failed, before.failed)
      assert.deepEqual(after.done, before.done)
      assert.ok(['running', 'stopped'].includes(after.running!.status), `a running module comes back ${after.running!.status}`)
      if (after.running!.status === 'running') assert.ok(after.running!.pid! > 0)
      assert.deepEqual(await logTexts(rt, 'done'), ['kept'])

      for (const name of ['created', 'running', 'failed']) await rt.start(name)
      for (const name of ['created', 'running']) assert.equal((await rt.get(name))?.status, 'running', name)
      await waitForStatus(rt, 'failed', 'failed')
      await rt.start('done')
      await waitForStatus(rt, 'done', 'stopped')
      assert.deepEqual(await logTexts(rt, 'done'), ['kept', 'kept'], 'logs of the next start are appended')
    })
  })
}
