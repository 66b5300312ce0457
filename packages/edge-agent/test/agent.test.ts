import { test } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger, TestClock } from '@ledge/common'
import { Agent } from '../src/agent.js'
import { ManagementCommandFactory } from '../src/commands/management-commands.js'
import { StaticDesiredSource } from '../src/desired/desired-source.js'
import { IdentityManager } from '../src/identities.js'
import { LABELS } from '../src/module-management.js'
import { ModuleStateStore } from '../src/module-state-store.js'
import { HealthRestartPlanner } from '../src/planner/planner.js'
import { NullReporter } from '../src/reporter.js'
import { RestartPolicyManager } from '../src/restart-policy.js'
import { OrderedRetryPlanRunner } from '../src/runner/plan-runner.js'
import { FakeModuleManagement } from '../src/testing.js'
import { camera, manifest, T0, type Json } from './helpers.js'

function setup() {
  const clock = new TestClock(T0)
  const management = new FakeModuleManagement(clock)
  const store = ModuleStateStore.inMemory()
  const restartPolicy = new RestartPolicyManager(clock)
  const source = new StaticDesiredSource(undefined)
  const nullReporter = new NullReporter()
  /** The last reported document, loosely typed for assertions. */
  const reporter = { get last(): Json | undefined { return nullReporter.last as Json | undefined } }
  const log = silentLogger()
  const agent = new Agent({
    desired: source,
    management,
    store,
    identities: new IdentityManager({ management, log }),
    planner: new HealthRestartPlanner({ factory: new ManagementCommandFactory({ management, store, clock }), restartPolicy }),
    runner: new OrderedRetryPlanRunner({ clock, log }),
    reporter: nullReporter,
    restartPolicy,
    log,
  })
  let version = 0
  const deploy = (desired: unknown) => source.set({ version: ++version, desired: desired === undefined ? undefined : { ...(desired as Json), $version: version }, source: 'twin' })
  const reconcile = () => agent.reconcileOnce(new AbortController().signal)
  const mutations = () => management.calls.filter((c) => !/^(list|systeminfo|list identities|get .*)$/.test(c))
  return { clock, management, store, reporter, agent, deploy, reconcile, mutations }
}

test('a first deployment: identities, then modules in startup order; a second reconcile changes nothing', async () => {
  const { deploy, reconcile, management, reporter, mutations } = setup()
  deploy(manifest())
  const r = await reconcile()
  assert.deepEqual(r.status, { code: 200, description: '' })
  assert.deepEqual(mutations(), ['create identity $edgeHub', 'create identity camera', 'create edgeHub', 'start edgeHub', 'create camera', 'start camera'])
  const spec = management.modules.get('camera')!.spec
  assert.deepEqual(spec.config.env, [{ key: 'FPS', value: '5' }], 'the manifest env only: the daemon adds IOTEDGE_*')
  assert.equal(spec.labels[LABELS.version], '1.0')
  assert.match(spec.labels[LABELS.specHash]!, /^[0-9a-f]{64}$/)

  const before = management.calls.length
  assert.equal((await reconcile()).commands, 0)
  assert.deepEqual(management.calls.slice(before), ['list'], 'one read, no command')
  const reported = reporter.last!
  assert.equal(reported.lastDesiredVersion, 1)
  assert.deepEqual(reported.lastDesiredStatus, { code: 200, description: '' })
  assert.equal(reported.modules.camera.runtimeStatus, 'running')
  assert.equal(reported.systemModules.edgeHub.runtimeStatus, 'running')
})

test('a bad manifest is reported (400/412/417) and leaves the running modules alone', async () => {
  const { deploy, reconcile, reporter, mutations } = setup()
  deploy(manifest())
  await reconcile()
  const applied = mutations().length
  const bad = manifest({ camera: camera({ restartPolicy: 'sometimes' }) })
  deploy(bad)
  const r = await reconcile()
  assert.equal(r.status.code, 400)
  assert.match(r.status.description, /modules\.camera\.restartPolicy: expected one of never\|on-failure\|on-unhealthy\|always/)
  assert.equal(mutations().length, applied, 'nothing stopped or removed')
  assert.equal(reporter.last!.lastDesiredStatus.code, 400)
  assert.equal(reporter.last!.lastDesiredVersion, 2)
  assert.equal(reporter.last!.modules.camera.runtimeStatus, 'running', 'modules still reported')

  deploy({ ...manifest(), schemaVersion: '3.0' })
  assert.equal((await reconcile()).status.code, 412)
  deploy({})
  assert.equal((await reconcile()).status.code, 417)
  assert.equal(mutations().length, applied)
})

test('an update recreates, a removal stops and removes the module and deletes its identity', async () => {
  const { deploy, reconcile, mutations, management } = setup()
  deploy(manifest())
  await reconcile()
  const n = mutations().length
  deploy(manifest({ camera: camera({ settings: { command: 'node', args: ['camera-v2.js'] } }) }))
  assert.equal((await reconcile()).status.code, 200)
  assert.deepEqual(mutations().slice(n), ['update camera', 'start camera'])
  assert.deepEqual(management.modules.get('camera')!.spec.config.settings.args, ['camera-v2.js'])

  // Only the status changes: no recreate.
  const m = mutations().length
  deploy(manifest({ camera: camera({ status: 'stopped', settings: { command: 'node', args: ['camera-v2.js'] } }) }))
  await reconcile()
  assert.deepEqual(mutations().slice(m), ['stop camera'])
  const k = mutations().length
  deploy(manifest({}))
  await reconcile()
  assert.deepEqual(mutations().slice(k), ['delete identity camera', 'stop camera', 'remove camera'])
  assert.equal(management.modules.has('camera'), false)
})

test('a crash: backoff, restart after the cool-off, restart count reported', async () => {
  const { deploy, reconcile, management, reporter, clock, mutations } = setup()
  deploy(manifest())
  await reconcile()
  management.exit('camera', 1)
  await reconcile()
  assert.equal(reporter.last!.modules.camera.runtimeStatus, 'backoff')
  assert.equal(reporter.last!.modules.camera.exitCode, 1)
  const n = mutations().length
  clock.advance(10_000)
  await reconcile()
  assert.deepEqual(mutations().slice(n), ['restart camera'])
  assert.equal(reporter.last!.modules.camera.runtimeStatus, 'running')
  assert.equal(reporter.last!.modules.camera.restartCount, 1)
  // A clean exit under on-failure stays stopped.
  management.exit('camera', 0)
  clock.advance(60_000)
  await reconcile()
  assert.equal(reporter.last!.modules.camera.runtimeStatus, 'stopped')
  assert.deepEqual(mutations().slice(n), ['restart camera'])
})

test('on-unhealthy works when the runtime reports health', async () => {
  const { deploy, reconcile, management, reporter, clock, mutations } = setup()
  deploy(manifest({ camera: camera({ restartPolicy: 'on-unhealthy' }) }))
  await reconcile()
  management.setHealth('camera', 'unhealthy')
  clock.advance(10_000)
  const n = mutations().length
  await reconcile()
  assert.deepEqual(mutations().slice(n), ['restart camera'])
  assert.equal(reporter.last!.modules.camera.runtimeStatus, 'running')
})

test('a failing command: 500 naming it, retried after the cool-off, at once for a new deployment', async () => {
  const { deploy, reconcile, management, clock } = setup()
  management.failOn('create camera')
  deploy(manifest())
  const r = await reconcile()
  assert.equal(r.status.code, 500)
  assert.match(r.status.description, /create module camera, then start module camera: create camera: 500 boom/)
  assert.equal(management.modules.get('edgeHub')?.status, 'running', 'the other modules went ahead')
  const skipped = await reconcile()
  assert.match(skipped.status.description, /retry at/)
  management.heal('create camera')
  deploy(manifest({ camera: camera({ env: { FPS: { value: '10' } } }) }))
  assert.equal((await reconcile()).status.code, 200)
  clock.advance(1)
  assert.equal(management.modules.get('camera')?.status, 'running')
})

test('no deployment yet: 406; the daemon unreachable: 500; neither throws', async () => {
  const { reconcile, deploy, management, reporter } = setup()
  assert.equal((await reconcile()).status.code, 406)
  deploy(manifest())
  management.down = true
  const r = await reconcile()
  assert.equal(r.status.code, 500)
  assert.match(r.status.description, /unreachable/)
  assert.equal(reporter.last!.lastDesiredStatus.code, 500)
})

test('ModuleUpdateMode=WaitForAllPulls: a failed pull is reported (500) and no module is touched; a bad mode is 400', async () => {
  const { deploy, reconcile, management, mutations, reporter } = setup()
  const dockerCamera = (image: string, o: Json = {}) => camera({ type: 'docker', settings: { image }, ...o })
  const withMode = (mode: string, modules: Json) => manifest(modules, {
    runtime: { type: 'docker', settings: {} },
    systemModules: {
      edgeAgent: { type: 'process', settings: { command: 'ledge-edge-agent' }, env: { ModuleUpdateMode: { value: mode } } },
      edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', startupOrder: 0, settings: { command: 'ledge-edge-hub' } },
    },
  })
  deploy(withMode('WaitForAllPulls', { camera: dockerCamera('cam:1'), lens: dockerCamera('lens:1', { startupOrder: 2 }) }))
  assert.equal((await reconcile()).status.code, 200)
  assert.deepEqual(mutations().filter((c) => c.startsWith('prepare')), ['prepare camera', 'prepare lens'], 'new modules pull first too')

  // camera's update would run first, but lens's image cannot be pulled: nothing changes.
  management.failOn('prepare lens', new Error('prepare the update of module lens: 503 image pull failed'))
  const n = mutations().length
  deploy(withMode('WaitForAllPulls', { camera: dockerCamera('cam:2'), lens: dockerCamera('lens:2', { startupOrder: 2 }) }))
  const r = await reconcile()
  assert.equal(r.status.code, 500)
  assert.match(r.status.description, /^Failed to execute PrepareForUpdate command: prepare module lens \(pull its image\): .*503 image pull failed/)
  assert.deepEqual(mutations().slice(n), ['prepare camera', 'prepare lens'])
  assert.equal(management.modules.get('camera')!.spec.config.settings.image, 'cam:1')
  assert.equal(management.modules.get('camera')!.status, 'running')
  assert.equal(reporter.last!.lastDesiredStatus.code, 500)

  // NonBlocking (the default): camera's update goes ahead, lens stays on its old image.
  const m = mutations().length
  deploy(manifest({ camera: dockerCamera('cam:2'), lens: dockerCamera('lens:2', { startupOrder: 2 }) }, { runtime: { type: 'docker', settings: {} } }))
  assert.equal((await reconcile()).status.code, 500)
  assert.deepEqual(mutations().slice(m), ['prepare camera', 'update camera', 'start camera', 'prepare lens'])
  assert.equal(management.modules.get('lens')!.spec.config.settings.image, 'lens:1')

  deploy(withMode('Sometimes', { camera: dockerCamera('cam:3') }))
  const bad = await reconcile()
  assert.equal(bad.status.code, 400)
  assert.match(bad.status.description, /systemModules\.edgeAgent\.env\.ModuleUpdateMode: 'Sometimes' is not one of NonBlocking, WaitForAllPulls/)
})
