import { test } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger, TestClock } from '@ledge/common'
import { ModuleSet } from '../src/module-set.js'
import { buildReportedState, diffPatch, NO_TIME, TwinReporter, type AgentReport, type ReportedPropertiesSink } from '../src/reporter.js'
import { RestartPolicyManager } from '../src/restart-policy.js'
import type { CurrentModule, DesiredModule } from '../src/model.js'
import { current, desired, exited, iso, T0 } from './helpers.js'

const version = { version: '0.1.0', build: '42', commit: 'abc' }
const policy = new RestartPolicyManager(new TestClock(T0 + 1_000))

function report(d: DesiredModule[], c: CurrentModule[] | undefined, o: Partial<AgentReport> = {}): AgentReport {
  return {
    lastDesiredVersion: 7,
    status: { code: 200, description: '' },
    runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', loggingOptions: '', registryCredentials: { acr: { username: 'u', password: 'secret', address: 'r.io' } } } },
    platform: { osType: 'linux', architecture: 'x86_64', version: '0.1.0' },
    desired: new ModuleSet(d),
    current: c ? new ModuleSet(c) : undefined,
    runtimeStatus: (cm, dm) => policy.runtimeStatus(cm, dm),
    ...o,
  }
}

const hub = desired('edgeHub', { startupOrder: 0 })
const cam = { ...desired('camera', { restartPolicy: 'on-failure', env: { FPS: { value: '5' } } }), version: '1.0' }
const agent = desired('edgeAgent')

test('the reported document has exactly Azure edgeAgent field names', () => {
  const state = buildReportedState(report([agent, hub, cam], [current(agent), current(hub), exited(cam, 3, T0, { restartCount: 2, lastRestartTimeUtc: iso(T0 - 5_000), description: 'exited with 3' })]), version)
  assert.deepEqual(Object.keys(state).sort(), ['lastDesiredStatus', 'lastDesiredVersion', 'modules', 'runtime', 'schemaVersion', 'systemModules', 'version'])
  assert.equal(state.schemaVersion, '1.0')
  assert.deepEqual(state.version, version)
  assert.deepEqual(state.lastDesiredStatus, { code: 200, description: '' })
  assert.deepEqual(state.runtime, { platform: { os: 'linux', architecture: 'x86_64', version: '0.1.0' }, type: 'docker', settings: { minDockerVersion: 'v1.25', loggingOptions: '' } }, 'no registry passwords')
  const modules = state.modules as Record<string, Record<string, unknown>>
  assert.deepEqual(modules.camera, {
    version: '1.0',
    type: 'process',
    status: 'running',
    restartPolicy: 'on-failure',
    settings: { command: 'node', args: ['camera.js'] },
    env: { FPS: { value: '5' } },
    runtimeStatus: 'backoff',
    statusDescription: 'exited with 3',
    exitCode: 3,
    lastStartTimeUtc: iso(T0),
    lastExitTimeUtc: iso(T0),
    restartCount: 2,
    lastRestartTimeUtc: iso(T0 - 5_000),
  })
  const system = state.systemModules as Record<string, Record<string, unknown>>
  assert.deepEqual(Object.keys(system.edgeAgent!).sort(), ['env', 'exitCode', 'lastExitTimeUtc', 'lastStartTimeUtc', 'runtimeStatus', 'settings', 'statusDescription', 'type'])
  assert.equal(system.edgeAgent!.runtimeStatus, 'running')
  assert.deepEqual(Object.keys(system.edgeHub!).sort(), ['env', 'exitCode', 'lastExitTimeUtc', 'lastRestartTimeUtc', 'lastStartTimeUtc', 'restartCount', 'restartPolicy', 'runtimeStatus', 'settings', 'startupOrder', 'status', 'statusDescription', 'type'])
  assert.equal(system.edgeHub!.startupOrder, 0)
  assert.equal(system.edgeHub!.lastExitTimeUtc, NO_TIME)
  assert.equal(system.edgeHub!.lastRestartTimeUtc, NO_TIME)
  const runtimeStatuses = ['unknown', 'backoff', 'running', 'unhealthy', 'stopped', 'failed', 'dead']
  for (const m of [...Object.values(modules), ...Object.values(system)]) assert.ok(runtimeStatuses.includes(m.runtimeStatus as string))
})

test('patches: only what changed, null for a removed module', () => {
  const first = buildReportedState(report([agent, hub, cam], [current(agent), current(hub), current(cam)]), version)
  const second = buildReportedState(report([agent, hub], [current(agent), current(hub)], { lastDesiredVersion: 8 }), version)
  assert.deepEqual(diffPatch(first, second), { lastDesiredVersion: 8, modules: { camera: null } })
  assert.deepEqual(diffPatch(second, second), {})
})

test('TwinReporter starts from what the twin holds, sends patches, retries a failed one whole', async () => {
  const sent: Record<string, unknown>[] = []
  let failNext = false
  const sink: ReportedPropertiesSink = {
    reported: async () => ({ $version: 4, lastDesiredVersion: 3, modules: { ghost: { runtimeStatus: 'running' } }, $metadata: {} }),
    update: async (patch) => {
      if (failNext) {
        failNext = false
        throw new Error('offline')
      }
      sent.push(patch)
    },
  }
  const r = new TwinReporter({ sink, version, log: silentLogger() })
  await r.report(report([agent, hub, cam], [current(agent), current(hub), current(cam)]))
  assert.equal((sent[0]!.modules as Record<string, unknown>).ghost, null, 'a module gone while the agent was down')
  assert.equal(sent[0]!.lastDesiredVersion, 7)
  await r.report(report([agent, hub, cam], [current(agent), current(hub), current(cam)]))
  assert.equal(sent.length, 1, 'nothing changed, nothing sent')
  failNext = true
  await assert.rejects(r.report(report([agent, hub, cam], [current(agent), current(hub), current(cam)], { status: { code: 500, description: 'x' } })))
  await r.report(report([agent, hub, cam], [current(agent), current(hub), current(cam)], { status: { code: 500, description: 'x' } }))
  assert.deepEqual(sent[1], { lastDesiredStatus: { code: 500, description: 'x' } })
  // The daemon did not answer: modules keep their last report.
  await r.report(report([agent, hub, cam], undefined, { status: { code: 500, description: 'daemon down' } }))
  assert.deepEqual(sent[2], { lastDesiredStatus: { description: 'daemon down' } })
})
