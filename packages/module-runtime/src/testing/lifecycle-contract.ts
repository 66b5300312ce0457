/**
 * Lifecycle: create, start, exit, stop (with and without co-operation), restart, remove, get/list, events, env, and
 * the idempotence the port promises.
 */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { ModuleEvent } from '../module-runtime.js'
import type { RuntimeCase } from './harness.js'
import { logTexts, sleep, waitForLog, waitForStatus, waitUntil } from './wait.js'

const isIsoTime = (s: string | undefined) => typeof s === 'string' && !Number.isNaN(Date.parse(s)) && s.includes('T')
/** Allowed difference between the runtime's clock and ours (a container engine may stamp times itself). */
const SKEW_MS = 1000

export function lifecycleContract(test: RuntimeCase): void {
  describe('lifecycle', () => {
    test('create: the module is `created`, keeps its config and labels, and has no pid', async (s) => {
      const config = { ...s.config('m1', { kind: 'sleep' }), labels: { owner: 'contract', hash: 'abc' } }
      await s.runtime.create(config)
      const state = await s.runtime.get('m1')
      assert.ok(state)
      assert.equal(state.name, 'm1')
      assert.equal(state.type, s.runtime.type)
      assert.equal(state.status, 'created')
      assert.deepEqual(state.config, config)
      assert.ok(['none', 'starting', 'healthy', 'unhealthy'].includes(state.health))
      assert.equal(state.pid, undefined)
      assert.equal(state.startedAt, undefined)
      assert.equal(state.exitCode, undefined)
    })

    test('start: the module is `running`, with a pid and startedAt', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'sleep' }))
      const before = Date.now()
      await s.runtime.start('m1')
      const state = await s.runtime.get('m1')
      assert.equal(state?.status, 'running')
      assert.ok(Number.isInteger(state.pid) && state.pid! > 0, `pid ${state.pid}`)
      assert.ok(isIsoTime(state.startedAt), `startedAt ${state.startedAt}`)
      assert.ok(Date.parse(state.startedAt!) >= before - SKEW_MS && Date.parse(state.startedAt!) <= Date.now() + SKEW_MS)
      assert.equal(state.exitedAt, undefined)
      assert.equal((await s.runtime.list()).find((m) => m.name === 'm1')?.status, 'running')
    })

    test('a module that exits with 0 is `stopped`, with exitCode 0 and exitedAt, and no pid', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'exit', code: 0, afterMs: 100 }))
      await s.runtime.start('m1')
      const state = await waitForStatus(s.runtime, 'm1', ['stopped', 'failed'])
      assert.equal(state.status, 'stopped')
      assert.equal(state.exitCode, 0)
      assert.ok(isIsoTime(state.exitedAt))
      assert.ok(Date.parse(state.exitedAt!) >= Date.parse(state.startedAt!))
      assert.equal(state.pid, undefined)
    })

    test('a module that exits non-zero is `failed`, with its exit code and exitedAt', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'exit', code: 3, afterMs: 100 }))
      await s.runtime.start('m1')
      const state = await waitForStatus(s.runtime, 'm1', ['stopped', 'failed'])
      assert.equal(state.status, 'failed')
      assert.equal(state.exitCode, 3)
      assert.ok(isIsoTime(state.exitedAt))
      assert.equal(state.pid, undefined)
    })

    test('stop: a module that honours SIGTERM is `stopped` well within its grace, and stop returns once it is', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'sleep' }))
      await s.runtime.start('m1')
      const t0 = Date.now()
      await s.runtime.stop('m1', { graceMs: 60_000 })
      assert.ok(Date.now() - t0 < 30_000, `stop took ${Date.now() - t0} ms`)
      const state = await s.runtime.get('m1')
      assert.equal(state?.status, 'stopped')
      assert.equal(state.pid, undefined)
      assert.ok(isIsoTime(state.exitedAt))
    })

    test('stop: a module that ignores SIGTERM is killed once graceMs has passed', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'ignoreSigterm' }))
      await s.runtime.start('m1')
      await waitForLog(s.runtime, 'm1', 'ready')
      const graceMs = 800
      const t0 = Date.now()
      await s.runtime.stop('m1', { graceMs })
      const took = Date.now() - t0
      assert.ok(took >= graceMs - 50, `stopped after ${took} ms, before the grace of ${graceMs} ms`)
      assert.ok(took < graceMs + 20_000, `stop took ${took} ms`)
      const state = await s.runtime.get('m1')
      assert.equal(state?.status, 'stopped', 'a module stopped on request is `stopped`, whatever its exit code')
      assert.equal(state.pid, undefined)
    })

    test('restart: a running module runs again with a new startedAt; a stopped one is started', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'sleep' }))
      await s.runtime.start('m1')
      const first = await s.runtime.get('m1')
      await sleep(20)
      await s.runtime.restart('m1')
      const second = await s.runtime.get('m1')
      assert.equal(second?.status, 'running')
      assert.ok(Date.parse(second.startedAt!) > Date.parse(first!.startedAt!), `${second.startedAt} after ${first!.startedAt}`)
      assert.ok(second.pid! > 0)

      await s.runtime.stop('m1')
      await s.runtime.restart('m1')
      assert.equal((await s.runtime.get('m1'))?.status, 'running')
    })

    test('remove: a running module is stopped and forgotten with its logs; the name can be created again', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'print', lines: ['old'], thenSleep: true }))
      await s.runtime.start('m1')
      await waitForLog(s.runtime, 'm1', 'old')
      await s.runtime.remove('m1')
      assert.equal(await s.runtime.get('m1'), undefined)
      assert.deepEqual((await s.runtime.list()).map((m) => m.name), [])

      await s.runtime.create(s.config('m1', { kind: 'sleep' }))
      assert.equal((await s.runtime.get('m1'))?.status, 'created')
      assert.deepEqual(await logTexts(s.runtime, 'm1'), [])
    })

    test('get and list: every module with its own status; get of an unknown name is undefined', async (s) => {
      assert.equal(await s.runtime.get('nobody'), undefined)
      assert.deepEqual(await s.runtime.list(), [])
      await s.runtime.create(s.config('a', { kind: 'sleep' }))
      await s.runtime.create(s.config('b', { kind: 'sleep' }))
      await s.runtime.create(s.config('c', { kind: 'exit', code: 5, afterMs: 0 }))
      await s.runtime.start('b')
      await s.runtime.start('c')
      await waitForStatus(s.runtime, 'c', 'failed')
      const list = await s.runtime.list()
      const byName = Object.fromEntries(list.map((m) => [m.name, m.status]))
      assert.deepEqual(byName, { a: 'created', b: 'running', c: 'failed' })
      assert.equal(list.length, 3)
      for (const m of list) assert.deepEqual(m, await s.runtime.get(m.name))
    })

    test('onEvent: listeners hear starts and exits (with the exit code) until they unsubscribe', async (s) => {
      const events: ModuleEvent[] = []
      const off = s.runtime.onEvent((e) => events.push(e))
      await s.runtime.create(s.config('e1', { kind: 'exit', code: 2, afterMs: 150 }))
      await s.runtime.create(s.config('e2', { kind: 'sleep' }))
      await s.runtime.start('e1')
      await s.runtime.start('e2')
      await s.runtime.stop('e2')
      await waitUntil('the exit event of e1', () => events.find((e) => e.name === 'e1' && e.status === 'failed'))
      await waitUntil('the exit event of e2', () => events.find((e) => e.name === 'e2' && e.status === 'stopped'))
      const e1 = events.filter((e) => e.name === 'e1')
      assert.equal(e1[0]?.status, 'running')
      assert.deepEqual(e1.at(-1), { name: 'e1', status: 'failed', exitCode: 2 })
      assert.ok(events.findIndex((e) => e.name === 'e2' && e.status === 'running') < events.findIndex((e) => e.name === 'e2' && e.status === 'stopped'))

      off()
      const heard = events.length
      await s.runtime.start('e1')
      await waitForStatus(s.runtime, 'e1', 'failed')
      await sleep(100)
      assert.equal(events.length, heard, 'no events after unsubscribing')
    })

    test('idempotent: start of a running module, stop of a stopped or created one, change nothing', async (s) => {
      await s.runtime.create(s.config('m1', { kind: 'sleep' }))
      await s.runtime.stop('m1')
      assert.equal((await s.runtime.get('m1'))?.status, 'created')

      await s.runtime.start('m1')
      const running = await s.runtime.get('m1')
      await s.runtime.start('m1')
      const again = await s.runtime.get('m1')
      assert.equal(again?.status, 'running')
      assert.equal(again.pid, running!.pid)
      assert.equal(again.startedAt, running!.startedAt)

      await s.runtime.stop('m1')
      const stopped = await s.runtime.get('m1')
      await s.runtime.stop('m1')
      assert.deepEqual(await s.runtime.get('m1'), stopped)
    })

    test("env: the config's variables reach the module", async (s) => {
      const base = s.config('m1', { kind: 'printEnv', names: ['LEDGE_CONTRACT_A', 'LEDGE_CONTRACT_B'] })
      await s.runtime.create({ ...base, env: { ...base.env, LEDGE_CONTRACT_A: 'hello world', LEDGE_CONTRACT_B: 'x=1 ü' } })
      await s.runtime.start('m1')
      await waitForStatus(s.runtime, 'm1', ['stopped', 'failed'])
      assert.deepEqual(await logTexts(s.runtime, 'm1', {}, 'stdout'), ['LEDGE_CONTRACT_A=hello world', 'LEDGE_CONTRACT_B=x=1 ü'])
    })
  })
}
