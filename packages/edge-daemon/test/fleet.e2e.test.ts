/**
 * A fleet of 50 edge devices, provisioned through DPS from ONE enrollment group (the unmodified provisioning SDK over
 * the hub's HTTPS DPS endpoint), each a daemon with its own home folder and process runtime plus an edge agent that
 * reads its twin (see fleet-device.ts for what is simulated). Automatic deployments then reach exactly the devices their
 * target condition picks: base deployments by tag, a layered one on top, a higher-priority one replacing a base, a
 * retagged device moving, and the metrics counting the devices where a layered module fails.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deriveDeviceKey } from '@ledge/protocol'
import { edgeDeployment, privilegedPortProblem, requireEnvironment, startTestHub, type TestHub } from '@ledge/testkit'
import { startFleetDevice, type FleetDevice } from './fleet-device.js'
import { eventually, rest } from './helpers.js'

const require = createRequire(import.meta.url)
const { Registry } = require('azure-iothub') as typeof import('azure-iothub')

type Json = Record<string, any>
const FLEET_SIZE = 50
const START_CONCURRENCY = 10
const WAIT_MS = 120_000

const ids = Array.from({ length: FLEET_SIZE }, (_, i) => `fleet-${String(i).padStart(2, '0')}`)
const index = (id: string): number => Number(id.slice(6))
/** 0–19 prod, 20–39 dev, 40–49 untagged. Devices 0–3 lack the layered module's program. */
const environmentOf = (id: string): string | undefined => (index(id) < 20 ? 'prod' : index(id) < 40 ? 'dev' : undefined)
const lacksTool = (id: string): boolean => index(id) < 4


const sleeper = { version: '1.0', type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'sleep', args: ['3600'] } }
const content = (modules: Record<string, unknown>) =>
  edgeDeployment({
    edgeAgent: { type: 'process', settings: { command: 'sleep' } },
    edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'sleep', args: ['3600'] } },
    modules,
  })

async function inBatches<T, R>(items: readonly T[], size: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(f))))
  return out
}

test('50 edge devices provisioned through DPS from one enrollment group take the deployments that target them', async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  await using th: TestHub = await startTestHub({ dpsRetryAfterSeconds: 0 })
  const root = await mkdtemp(join(tmpdir(), 'ledge-fleet-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const registry = Registry.fromConnectionString(th.serviceConnectionString)
  const idScope = (await rest(th, 'GET', '/provisioning')).body.idScope as string
  const group = await rest(th, 'PUT', '/enrollmentGroups/fleet', { enrollmentGroupId: 'fleet', attestation: { type: 'symmetricKey' }, capabilities: { iotEdge: true } })
  assert.equal(group.status, 200, JSON.stringify(group.body))
  const groupKey = group.body.attestation.symmetricKey.primaryKey as string

  const devices = new Map<string, FleetDevice>()
  // Disposed before the hub (reverse order): agents closed while the hub still answers do not linger reconnecting.
  await using _fleet = { [Symbol.asyncDispose]: async () => void (await inBatches([...devices.values()], START_CONCURRENCY, (d) => d.close())) }
  const started = Date.now()
  await inBatches(ids, START_CONCURRENCY, async (id) => {
    const d = await startFleetDevice({
      th, home: join(root, id), idScope, registrationId: id, key: deriveDeviceKey(groupKey, id),
      moduleFiles: lacksTool(id) ? {} : { 'tool.sh': '#!/bin/sh\nexec sleep 3600\n' },
    })
    devices.set(id, d)
  })
  t.diagnostic(`${FLEET_SIZE} devices provisioned and started in ${Date.now() - started} ms`)

  /** Waits until every device's runtime has the modules `expected` names (edgeAgent aside). */
  const expectModules = async (expected: (id: string) => string[], what: string): Promise<void> => {
    let wrong: string[] = []
    await eventually(async () => {
      wrong = []
      for (const id of ids) {
        const have = (await devices.get(id)!.modules()).join()
        if (have !== [...expected(id)].sort().join()) wrong.push(`${id}: ${have || '(none)'}`)
      }
      return wrong.length === 0 ? true : undefined
    }, WAIT_MS, what, 1_000).catch((err: Error) => assert.fail(`${err.message}; still wrong: ${wrong.slice(0, 5).join('; ')}`))
  }
  const metrics = async (id: string): Promise<Json> => (await registry.getConfiguration(id)).responseBody.systemMetrics!.results as Json
  const metricsReach = (id: string, expected: Json, what: string): Promise<unknown> =>
    eventually(async () => {
      const m = await metrics(id)
      return Object.entries(expected).every(([k, v]) => m[k] === v) ? m : undefined
    }, WAIT_MS, what, 1_000)

  await t.test('every device registered through the one group and exists as an edge device', async () => {
    const regs = await rest(th, 'GET', '/enrollmentGroups/fleet/registrations')
    assert.deepEqual(regs.body.map((r: { registrationId: string }) => r.registrationId).sort(), ids)
    for (const id of ids) {
      assert.equal(devices.get(id)!.daemon.provisionedFrom, 'dps')
      assert.equal((await registry.get(id)).responseBody.capabilities?.iotEdge, true, id)
    }
    for (const id of ids) {
      const env = environmentOf(id)
      if (env) assert.equal((await rest(th, 'PATCH', `/twins/${id}`, { tags: { environment: env } })).status, 200)
    }
  })

  await t.test('base deployments reach exactly the devices their target condition picks', async () => {
    await registry.addConfiguration({ id: 'prod-base', schemaVersion: '1.0', content: content({ camera: sleeper }) as never, targetCondition: "tags.environment='prod'", priority: 10 })
    await registry.addConfiguration({ id: 'dev-base', schemaVersion: '1.0', content: content({ sensor: sleeper }) as never, targetCondition: "tags.environment='dev'", priority: 10 })
    await expectModules((id) => (environmentOf(id) === 'prod' ? ['camera', 'edgeHub'] : environmentOf(id) === 'dev' ? ['edgeHub', 'sensor'] : []), 'the base deployments')
    await metricsReach('prod-base', { targetedCount: 20, appliedCount: 20, reportedSuccessfulCount: 20, reportedFailedCount: 0 }, 'prod-base reported by its 20 agents')
    await metricsReach('dev-base', { targetedCount: 20, appliedCount: 20, reportedSuccessfulCount: 20 }, 'dev-base reported by its 20 agents')
  })

  await t.test('a layered deployment adds a module; where its program is missing, the devices report the failure', async () => {
    await registry.addConfiguration({
      id: 'prod-tool', schemaVersion: '1.0', targetCondition: "tags.environment='prod'", priority: 1,
      content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.tool': { ...sleeper, settings: { command: './tool.sh' } } } } } as never,
    })
    await expectModules((id) => (environmentOf(id) === 'prod' ? (lacksTool(id) ? ['camera', 'edgeHub'] : ['camera', 'edgeHub', 'tool'])
      : environmentOf(id) === 'dev' ? ['edgeHub', 'sensor'] : []), 'the layer on the prod devices')
    await metricsReach('prod-tool', { targetedCount: 20, appliedCount: 20, reportedSuccessfulCount: 16, reportedFailedCount: 4 }, 'the layer: 16 applied, 4 failed')
    const failed = await rest(th, 'GET', '/configurations/prod-tool/metricDevices?metricId=reportedFailedCount&metricType=system')
    assert.deepEqual(failed.body.deviceIds.sort(), ids.filter(lacksTool))
    const agentTwin = (await registry.getModuleTwin('fleet-00', '$edgeAgent')).responseBody
    assert.notEqual(agentTwin.properties.reported.lastDesiredStatus.code, 200)
    assert.match(agentTwin.properties.reported.lastDesiredStatus.description, /tool/)
  })

  await t.test('a higher-priority deployment wins over the base; the layer stays on top', async () => {
    await registry.addConfiguration({ id: 'prod-v2', schemaVersion: '1.0', content: content({ camera2: sleeper }) as never, targetCondition: "tags.environment='prod'", priority: 20 })
    const prodModules = (id: string): string[] => (lacksTool(id) ? ['camera2', 'edgeHub'] : ['camera2', 'edgeHub', 'tool'])
    await expectModules((id) => (environmentOf(id) === 'prod' ? prodModules(id) : environmentOf(id) === 'dev' ? ['edgeHub', 'sensor'] : []), 'prod-v2 replacing prod-base')
    await metricsReach('prod-base', { targetedCount: 20, appliedCount: 0 }, 'prod-base no longer applied')
    await metricsReach('prod-v2', { targetedCount: 20, appliedCount: 20 }, 'prod-v2 applied')
  })

  await t.test('retagging a device moves it to the other deployment', async () => {
    assert.equal((await rest(th, 'PATCH', '/twins/fleet-10', { tags: { environment: 'dev' } })).status, 200)
    const env = (id: string): string | undefined => (id === 'fleet-10' ? 'dev' : environmentOf(id))
    await expectModules((id) => (env(id) === 'prod' ? (lacksTool(id) ? ['camera2', 'edgeHub'] : ['camera2', 'edgeHub', 'tool'])
      : env(id) === 'dev' ? ['edgeHub', 'sensor'] : []), 'fleet-10 moved to dev')
    await metricsReach('prod-v2', { targetedCount: 19, appliedCount: 19 }, 'prod-v2 without fleet-10')
    await metricsReach('dev-base', { targetedCount: 21, appliedCount: 21, reportedSuccessfulCount: 21 }, 'dev-base with fleet-10')
  })
})
