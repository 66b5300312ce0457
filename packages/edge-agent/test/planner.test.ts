import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TestClock } from '@ledge/common'
import type { Identity } from '@ledge/protocol'
import { ModuleSet } from '../src/module-set.js'
import { HealthRestartPlanner } from '../src/planner/planner.js'
import { RestartPolicyManager } from '../src/restart-policy.js'
import { RecordingCommandFactory } from '../src/testing.js'
import type { CurrentModule, DesiredModule } from '../src/model.js'
import { current, desired, exited, iso, T0 } from './helpers.js'

const runtime = { type: 'process', settings: {} }

function planner(clock = new TestClock(T0)) {
  const factory = new RecordingCommandFactory()
  const policy = new RestartPolicyManager(clock)
  const p = new HealthRestartPlanner({ factory, restartPolicy: policy })
  return {
    clock,
    policy,
    plan: (d: DesiredModule[], c: CurrentModule[], identities?: ReadonlyMap<string, Identity>) =>
      p.plan(new ModuleSet(d), new ModuleSet(c), runtime, identities).map((cmd) => cmd.describe()),
  }
}

test('added modules are created, and started when desired running', () => {
  const { plan } = planner()
  assert.deepEqual(plan([desired('a'), desired('b', { status: 'stopped' })], []), ['create a, then start a', 'create b'])
})

test('an updated spec recreates the module and clears its restart stats', () => {
  const { plan } = planner()
  const next = desired('a', { settings: { command: 'node', args: ['v2.js'] } })
  assert.deepEqual(plan([next], [current(desired('a'))]), ['update a, then start a, then reset-restart-stats a'])
  const stopped = desired('a', { status: 'stopped', settings: { command: 'node', args: ['v2.js'] } })
  assert.deepEqual(plan([stopped], [current(desired('a'))]), ['update a, then reset-restart-stats a'])
})

test('a desired status change starts or stops; nothing changes for a module as desired', () => {
  const { plan } = planner()
  const a = desired('a')
  assert.deepEqual(plan([a], [current(a)]), [])
  assert.deepEqual(plan([desired('a', { status: 'stopped' })], [current(a)]), ['stop a'])
  // The agent stopped it (a previous deployment); now it is wanted again.
  assert.deepEqual(plan([a], [exited(a, 0, T0, { appliedStatus: 'stopped' })]), ['start a, then reset-restart-stats a'])
  // Created but never started.
  assert.deepEqual(plan([a], [current(a, { status: 'stopped', lastStartTimeUtc: undefined })]), ['start a, then reset-restart-stats a'])
  // Stopped and meant to stay so.
  assert.deepEqual(plan([desired('a', { status: 'stopped' })], [exited(a, 0, T0, { appliedStatus: 'stopped' })]), [])
})

test('removed modules are stopped then removed; the edge agent never plans for itself', () => {
  const { plan } = planner()
  assert.deepEqual(plan([], [current('x'), current('edgeAgent')]), ['stop x', 'remove x'])
  assert.deepEqual(plan([desired('edgeAgent')], []), [])
})

test('startup order: groups run in order, the default (4294967295) last; every diff kind inside its group', () => {
  const { plan } = planner()
  const hub = desired('edgeHub', { startupOrder: 0 })
  const db = desired('db', { startupOrder: 1 })
  const api = desired('api', { startupOrder: 1, settings: { command: 'api', args: ['v2'] } })
  const cam = desired('camera')
  const out = plan([cam, api, db, hub], [current('old'), current(desired('api', { startupOrder: 1 })), current('edgeAgent')])
  assert.deepEqual(out, [
    'create edgeHub, then start edgeHub',
    'create db, then start db',
    'update api, then start api, then reset-restart-stats api',
    'stop old',
    'remove old',
    'create camera, then start camera',
  ])
})

test('modules without an identity are not created or updated (the next reconcile tries again)', () => {
  const { plan } = planner()
  const ids = new Map<string, Identity>([['a', { moduleId: 'a', managedBy: 'IotEdge', generationId: 'g', authType: 'Sas' }]])
  assert.deepEqual(plan([desired('a'), desired('b')], [], ids), ['create a, then start a'])
})

test('restart policy: always restarts a stopped module after the cool-off; never does not', () => {
  const { plan, clock } = planner()
  const a = desired('a', { restartPolicy: 'always' })
  const n = desired('n', { restartPolicy: 'never' })
  const state = () => [exited(a, 0, T0), exited(n, 1, T0)]
  clock.advance(9_999)
  assert.deepEqual(plan([a, n], state()), [])
  clock.advance(1)
  assert.deepEqual(plan([a, n], state()), ['restart a'])
})

test('restart policy: on-failure restarts only a non-zero exit; on-unhealthy a failure or bad health', () => {
  const { plan, clock, policy } = planner()
  clock.advance(10_000)
  const f = desired('f', { restartPolicy: 'on-failure' })
  assert.deepEqual(plan([f], [exited(f, 0, T0)]), [])
  assert.equal(policy.runtimeStatus(exited(f, 0, T0), f), 'stopped')
  assert.deepEqual(plan([f], [exited(f, 2, T0)]), ['restart f'])
  assert.equal(policy.runtimeStatus(exited(f, 2, T0), f), 'backoff')
  assert.deepEqual(plan([f], [current(f, { status: 'unhealthy' })]), [])

  const u = desired('u', { restartPolicy: 'on-unhealthy' })
  assert.deepEqual(plan([u], [current(u, { status: 'unhealthy' })]), ['restart u'])
  assert.deepEqual(plan([u], [exited(u, 137, T0)]), ['restart u'])
  assert.deepEqual(plan([u], [exited(u, 0, T0)]), [])
  // Unhealthy: the wait counts from the start.
  assert.deepEqual(plan([u], [current(u, { status: 'unhealthy', lastStartTimeUtc: iso(T0 + 5_000) })]), [])
})

test('back-off: min(10 s × 2^restartCount, 300 s) after the exit', () => {
  const { plan, clock, policy } = planner()
  assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map((n) => policy.coolOffMs(n)), [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000])
  const a = desired('a')
  const after3 = () => [exited(a, 1, T0, { restartCount: 3, lastRestartTimeUtc: iso(T0 - 60_000) })]
  clock.advance(79_999)
  assert.deepEqual(plan([a], after3()), [])
  clock.advance(1)
  assert.deepEqual(plan([a], after3()), ['restart a'])
})

test('after 20 restarts the module stays failed; a new deployment (update) starts it over', () => {
  const { plan, clock, policy } = planner()
  clock.advance(3_600_000)
  const a = desired('a')
  const worn = exited(a, 1, T0, { restartCount: 20 })
  assert.equal(policy.runtimeStatus(worn, a), 'failed')
  assert.deepEqual(plan([a], [worn]), [])
  assert.equal(policy.runtimeStatus(exited(a, 1, T0, { restartCount: 19 }), a), 'backoff')
  const next = desired('a', { settings: { command: 'node', args: ['fixed.js'] } })
  assert.deepEqual(plan([next], [worn]), ['update a, then start a, then reset-restart-stats a'])
})

test('restart stats reset after 10 healthy minutes of running', () => {
  const { plan, clock } = planner()
  const a = desired('a')
  const running = () => [current(a, { restartCount: 4, lastStartTimeUtc: iso(T0), lastRestartTimeUtc: iso(T0) })]
  clock.advance(9 * 60_000)
  assert.deepEqual(plan([a], running()), [])
  clock.advance(60_000)
  assert.deepEqual(plan([a], running()), ['reset-restart-stats a'])
  assert.deepEqual(plan([a], [current(a)]), [], 'nothing to reset')
})

test('a dead module is removed (the next reconcile creates it again)', () => {
  const { plan } = planner()
  const a = desired('a')
  assert.deepEqual(plan([a], [current(a, { status: 'dead' })]), ['remove a'])
  assert.deepEqual(plan([a], []), ['create a, then start a'])
})

test('docker updates pull first: in the module\'s own group (NonBlocking), or all up front as prerequisites (WaitForAllPulls)', () => {
  const clock = new TestClock(T0)
  const factory = new RecordingCommandFactory()
  const p = new HealthRestartPlanner({ factory, restartPolicy: new RestartPolicyManager(clock) })
  const docker = (name: string, image: string, startupOrder: number) => desired(name, { type: 'docker', startupOrder, settings: { image } })
  const desiredSet = new ModuleSet([docker('hub', 'hub:2', 0), docker('cam', 'cam:2', 1), docker('fresh', 'fresh:1', 2), desired('proc', { settings: { command: 'node', args: ['v2.js'] } })])
  const currentSet = new ModuleSet([current(docker('hub', 'hub:1', 0)), current(docker('cam', 'cam:1', 1)), current(desired('proc')), current('gone')])
  const plan = (moduleUpdateMode?: 'NonBlocking' | 'WaitForAllPulls') =>
    p.plan(desiredSet, currentSet, { type: 'docker', settings: {} }, undefined, moduleUpdateMode ? { moduleUpdateMode } : {}).map((c) => c.describe())

  const nonBlocking = [
    'prepare hub, then update hub, then start hub, then reset-restart-stats hub',
    'prepare cam, then update cam, then start cam, then reset-restart-stats cam',
    'create fresh, then start fresh',
    'stop gone', 'remove gone',
    'update proc, then start proc, then reset-restart-stats proc',
  ]
  assert.deepEqual(plan(), nonBlocking, 'NonBlocking is the default')
  assert.deepEqual(plan('NonBlocking'), nonBlocking)
  const waitForAll = p.plan(desiredSet, currentSet, { type: 'docker', settings: {} }, undefined, { moduleUpdateMode: 'WaitForAllPulls' })
  assert.deepEqual(waitForAll.map((c) => c.describe()), [
    'prepare hub (prerequisite)', 'prepare cam (prerequisite)', 'prepare fresh (prerequisite)',
    'update hub, then start hub, then reset-restart-stats hub',
    'update cam, then start cam, then reset-restart-stats cam',
    'create fresh, then start fresh',
    'stop gone', 'remove gone',
    'update proc, then start proc, then reset-restart-stats proc',
  ])
  assert.deepEqual(waitForAll.map((c) => c.prerequisite === true), [true, true, true, false, false, false, false, false, false])
})
