/**
 * The agent against a real hub: the `$edgeAgent` twin read through the unmodified SDK's
 * `ModuleClient.fromEnvironment(Mqtt)` (the `EdgeHubConnectionString` path), a deployment applied with the unmodified
 * service SDK, reported properties read back, direct methods invoked. The daemon is the in-memory fake.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { silentLogger, systemClock } from '@ledge/common'
import { startTestHub } from '@ledge/testkit'
import { Agent } from '../src/agent.js'
import { ManagementCommandFactory } from '../src/commands/management-commands.js'
import { TwinDesiredSource, moduleClientFromEnvironment } from '../src/desired/twin-desired-source.js'
import { IdentityManager } from '../src/identities.js'
import { reconcileLoop } from '../src/loop.js'
import { registerMethods } from '../src/methods.js'
import { ModuleStateStore } from '../src/module-state-store.js'
import { HealthRestartPlanner } from '../src/planner/planner.js'
import { TwinReporter } from '../src/reporter.js'
import { RestartPolicyManager } from '../src/restart-policy.js'
import { OrderedRetryPlanRunner } from '../src/runner/plan-runner.js'
import { FakeModuleManagement } from '../src/testing.js'
import { Wakeup } from '../src/wakeup.js'
import { camera, manifest, type Json } from './helpers.js'

const require = createRequire(import.meta.url)
const iothub = require('azure-iothub') as typeof import('azure-iothub')

async function eventually<T>(poll: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await poll()
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function deployment(modules: Json) {
  return {
    modulesContent: {
      $edgeAgent: { 'properties.desired': manifest(modules) },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: { up: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  }
}

test('deployment from the $edgeAgent twin → modules; reported properties and methods over the real hub', async () => {
  await using th = await startTestHub()
  const registry = iothub.Registry.fromConnectionString(th.serviceConnectionString)
  const service = iothub.Client.fromConnectionString(th.serviceConnectionString)
  await registry.create({ deviceId: 'edge-1', capabilities: { iotEdge: true } })
  await registry.applyConfigurationContentOnDevice('edge-1', deployment({ camera: camera() }) as never)
  const agentModule = (await registry.getModule('edge-1', '$edgeAgent')).responseBody
  process.env.EdgeHubConnectionString = th.connectionString('edge-1', agentModule.authentication!.symmetricKey!.primaryKey!, '$edgeAgent')

  const log = silentLogger()
  const management = new FakeModuleManagement(systemClock)
  const store = ModuleStateStore.inMemory()
  const restartPolicy = new RestartPolicyManager(systemClock)
  const twin = new TwinDesiredSource({ connect: moduleClientFromEnvironment, log, clientOptions: { ca: th.caPem } })
  const agent = new Agent({
    desired: twin,
    management,
    store,
    identities: new IdentityManager({ management, log }),
    planner: new HealthRestartPlanner({ factory: new ManagementCommandFactory({ management, store, clock: systemClock }), restartPolicy }),
    runner: new OrderedRetryPlanRunner({ clock: systemClock, log }),
    reporter: new TwinReporter({ sink: twin, version: { version: '0.1.0', build: '', commit: '' }, log }),
    restartPolicy,
    log,
  })
  const wakeup = new Wakeup()
  twin.onChange(() => wakeup.notify())
  registerMethods(twin, { management, log, onRestarted: () => wakeup.notify() })
  const ac = new AbortController()
  await twin.start()
  // A long period: only the twin's notifications drive the loop after the first pass.
  const loop = reconcileLoop({ agent, wakeup, intervalMs: 60_000, timeoutMs: 30_000, signal: ac.signal, log })
  try {
    await eventually(() => (management.modules.get('camera')?.status === 'running' ? true : undefined), 'camera to run')
    const reported = await eventually(async () => {
      const t = (await registry.getModuleTwin('edge-1', '$edgeAgent')).responseBody
      const r = t.properties.reported as Json
      return r.lastDesiredStatus?.code === 200 && r.modules?.camera ? { r, desiredVersion: t.properties.desired.$version } : undefined
    }, 'reported properties')
    assert.equal(reported.r.lastDesiredVersion, reported.desiredVersion)
    assert.equal(reported.r.schemaVersion, '1.0')
    assert.equal(reported.r.modules.camera.runtimeStatus, 'running')
    assert.equal(reported.r.systemModules.edgeHub.runtimeStatus, 'running')
    assert.deepEqual(reported.r.runtime.platform, { os: 'linux', architecture: 'x86_64', version: '0.1.0' })

    // A new deployment arrives as a desired-properties patch and wakes the loop at once.
    await registry.applyConfigurationContentOnDevice('edge-1', deployment({ detector: camera({ settings: { command: 'node', args: ['detector.js'] } }) }) as never)
    await eventually(() => (management.modules.has('detector') && !management.modules.has('camera') ? true : undefined), 'detector to replace camera', 10_000)
    const after = await eventually(async () => {
      const r = (await registry.getModuleTwin('edge-1', '$edgeAgent')).responseBody.properties.reported as Json
      return r.modules?.detector && !r.modules.camera ? r : undefined
    }, 'camera gone from the reported properties')
    assert.equal(after.modules.detector.runtimeStatus, 'running')

    const ping = await eventually(async () => service.invokeDeviceMethod('edge-1', '$edgeAgent', { methodName: 'ping', payload: null, responseTimeoutInSeconds: 5 }).catch(() => undefined), 'ping')
    assert.equal(ping.result.status, 200)
    const restart = await service.invokeDeviceMethod('edge-1', '$edgeAgent', { methodName: 'RestartModule', payload: { schemaVersion: '1.0', id: 'detector' }, responseTimeoutInSeconds: 5 })
    assert.equal(restart.result.status, 200)
    assert.ok(management.calls.includes('restart detector'))
    const bad = await service.invokeDeviceMethod('edge-1', '$edgeAgent', { methodName: 'RestartModule', payload: { id: 'nope' }, responseTimeoutInSeconds: 5 }).then((r) => r.result, (err: { responseBody?: string }) => ({ status: 0, payload: err.responseBody }))
    assert.equal(bad.status, 404)
  } finally {
    ac.abort()
    await loop
    await twin.close()
    delete process.env.EdgeHubConnectionString
  }
})
