import { test } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger, TestClock } from '@ledge/common'
import { OrderedRetryPlanRunner } from '../src/runner/plan-runner.js'
import { RecordingCommandFactory } from '../src/testing.js'
import { desired, T0 } from './helpers.js'

function setup(retry = {}) {
  const clock = new TestClock(T0)
  const factory = new RecordingCommandFactory()
  const runner = new OrderedRetryPlanRunner({ clock, log: silentLogger(), retry })
  const plan = [factory.start({ name: 'a' }), factory.start({ name: 'b' }), factory.start({ name: 'c' })]
  const run = async (deployment = '1') => {
    const r = await runner.run(deployment, plan, new AbortController().signal)
    return r.outcomes.map((o) => `${o.description}:${o.result}`)
  }
  return { clock, factory, runner, plan, run }
}

test('runs commands in order; one failure does not stop the others or throw', async () => {
  const { factory, run, runner, plan } = setup()
  factory.fail('start b', 'boom')
  assert.deepEqual(await run(), ['start a:succeeded', 'start b:failed', 'start c:succeeded'])
  assert.deepEqual(factory.executed, ['start a', 'start b', 'start c'])
  const r = await runner.run('1', plan, new AbortController().signal)
  assert.equal(r.ok, false)
  const b = r.outcomes[1]!
  assert.equal(b.result, 'skipped')
  assert.equal(b.error, 'boom')
  assert.equal(b.retryAt, T0 + 10_000)
})

test('a failed command cools off: 10 s, then 20 s, 40 s … capped, keyed by command id', async () => {
  const { factory, clock, run } = setup({ maxCoolOffMs: 30_000 })
  factory.fail('start b')
  await run()
  clock.advance(9_999)
  assert.deepEqual(await run(), ['start a:succeeded', 'start b:skipped', 'start c:succeeded'])
  clock.advance(1)
  assert.deepEqual(await run(), ['start a:succeeded', 'start b:failed', 'start c:succeeded'])
  clock.advance(19_999)
  assert.equal((await run())[1], 'start b:skipped')
  clock.advance(1)
  assert.equal((await run())[1], 'start b:failed')
  clock.advance(30_000) // capped: not 40 s
  factory.failures.clear()
  assert.equal((await run())[1], 'start b:succeeded')
  assert.equal((await run())[1], 'start b:succeeded', 'success forgets the failures')
})

test('a new deployment resets retries and cool-off at once (Azure #6971)', async () => {
  const { factory, run } = setup({ maxAttempts: 1 })
  factory.fail('start b')
  await run('1')
  assert.equal((await run('1'))[1], 'start b:skipped')
  factory.failures.clear()
  assert.equal((await run('2'))[1], 'start b:succeeded')
})

test('maxAttempts gives a command up for the deployment', async () => {
  const { factory, clock, runner, plan } = setup({ maxAttempts: 2 })
  factory.fail('start b')
  await runner.run('1', plan, new AbortController().signal)
  clock.advance(10_000)
  await runner.run('1', plan, new AbortController().signal)
  clock.advance(3_600_000)
  const r = await runner.run('1', plan, new AbortController().signal)
  assert.equal(r.outcomes[1]!.result, 'skipped')
  assert.match(r.outcomes[1]!.error!, /gave up after 2 attempts/)
})

test('an aborted run skips what is left', async () => {
  const { runner, plan, factory } = setup()
  const ac = new AbortController()
  ac.abort()
  const r = await runner.run('1', plan, ac.signal)
  assert.deepEqual(r.outcomes.map((o) => o.result), ['skipped', 'skipped', 'skipped'])
  assert.deepEqual(factory.executed, [])
})

test('a failed prerequisite stops every command that is not one; the other prerequisites still run', async () => {
  const clock = new TestClock(T0)
  const factory = new RecordingCommandFactory()
  const runner = new OrderedRetryPlanRunner({ clock, log: silentLogger() })
  const docker = (name: string) => desired(name, { type: 'docker', settings: { image: `${name}:2` } })
  const runtime = { type: 'docker', settings: {} }
  const plan = [
    factory.prepareUpdate(docker('a'), runtime, { prerequisite: true }),
    factory.prepareUpdate(docker('b'), runtime, { prerequisite: true }),
    factory.stop({ name: 'a' }),
    factory.start({ name: 'a' }),
  ]
  factory.fail('prepare a (prerequisite)', 'pull failed')
  const r = await runner.run('1', plan, new AbortController().signal)
  assert.deepEqual(factory.executed, ['prepare a (prerequisite)', 'prepare b (prerequisite)'], 'nothing that touches a module ran')
  assert.deepEqual(r.outcomes.map((o) => o.result), ['failed', 'succeeded', 'skipped', 'skipped'])
  assert.match(r.outcomes[2]!.error!, /prerequisite did not succeed \(prepare a \(prerequisite\)\)/)
  assert.deepEqual(r.blockedBy?.map((o) => o.description), ['prepare a (prerequisite)'])

  // Cooling off still blocks; after the cool-off a pull that works lets the plan through.
  assert.deepEqual((await runner.run('1', plan, new AbortController().signal)).blockedBy?.map((o) => o.result), ['skipped'])
  factory.failures.clear()
  clock.advance(10_000)
  const ok = await runner.run('1', plan, new AbortController().signal)
  assert.equal(ok.ok, true)
  assert.equal(ok.blockedBy, undefined)
})
