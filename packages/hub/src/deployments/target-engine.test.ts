/** The engine's queue and decisions, on an in-memory SQLite store with a recording writer (no hub, no sockets). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger, systemClock } from '@ledge/common'
import type { ConfigurationRecord, IdentityRepository } from '@ledge/storage'
import { configurationRecord, edgeDeviceRecords, identityRecord } from '@ledge/storage/testing'
import { openSqliteHubStore } from '@ledge/storage-sqlite'
import { Presence } from '../presence/presence.js'
import type { DesiredByModule } from './compose.js'
import { TargetEngine } from './target-engine.js'

const agent = (modules: Record<string, unknown>) => ({
  schemaVersion: '1.1', runtime: { type: 'process', settings: {} },
  systemModules: { edgeAgent: { type: 'process', settings: { command: 'node' } }, edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } } },
  modules,
})
const mod = { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } }
const hub = { 'properties.desired': { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } }
const base = (id: string, priority: number, created: string, modules: Record<string, unknown>, targetCondition = "tags.env='prod'"): ConfigurationRecord =>
  configurationRecord(id, { priority, createdTimeUtc: created, targetCondition, metricQueries: {}, modulesContent: { $edgeAgent: { 'properties.desired': agent(modules) }, $edgeHub: hub } })

async function setup(devices: { id: string; tags: Record<string, unknown>; edge?: boolean }[]) {
  const store = await openSqliteHubStore({ file: ':memory:' })
  for (const d of devices) {
    const records = d.edge === false ? [identityRecord(d.id)] : edgeDeviceRecords(d.id)
    records[0]!.twin = { ...records[0]!.twin, tags: d.tags }
    await store.identities.create(records)
  }
  const writes: { deviceId: string; desired: DesiredByModule }[] = []
  const identities: IdentityRepository = store.identities
  const engine = new TargetEngine({
    identities, presence: new Presence({ identities, clock: systemClock, log: silentLogger() }), log: silentLogger(),
    write: async (deviceId, desired) => {
      writes.push({ deviceId, desired })
      await identities.update({ ...(await identities.get(deviceId))!, modulesContent: desired })
    },
  })
  return { store, engine, writes, [Symbol.asyncDispose]: async () => { await engine.stop(); await store.close() } }
}

test('priority picks the base (ties: the newest); layers go on top by priority; plain devices are never targeted', async () => {
  await using s = await setup([{ id: 'a', tags: { env: 'prod' } }, { id: 'b', tags: { env: 'dev' } }, { id: 'leaf', tags: { env: 'prod' }, edge: false }])
  const layerLow = configurationRecord('layer-low', { layered: true, priority: 1, targetCondition: '*', metricQueries: {}, modulesContent: { $edgeAgent: { 'properties.desired.modules.x': { ...mod, settings: { command: 'low' } } } } })
  const layerHigh = configurationRecord('layer-high', { layered: true, priority: 2, targetCondition: '*', metricQueries: {}, modulesContent: { $edgeAgent: { 'properties.desired.modules.x': { ...mod, settings: { command: 'high' } } } } })
  s.engine.setDeployments([
    base('old', 5, '2026-01-01T00:00:00.000Z', { old: mod }),
    base('new', 5, '2026-02-01T00:00:00.000Z', { new: mod }),
    base('low', 1, '2026-03-01T00:00:00.000Z', { low: mod }),
    layerHigh, layerLow,
  ])
  await s.engine.idle()
  assert.deepEqual(s.engine.forDevice('a'), { targeted: ['old', 'new', 'low', 'layer-high', 'layer-low'], applied: ['new', 'layer-low', 'layer-high'] })
  assert.deepEqual(Object.keys((s.writes.find((w) => w.deviceId === 'a')!.desired.$edgeAgent!.modules as object)).sort(), ['new', 'x'])
  assert.equal(((s.writes[0]!.desired.$edgeAgent!.modules as Record<string, { settings: { command: string } }>).x!.settings.command), 'high')
  // b: only the layers match, so nothing is applied; leaf is not an edge device.
  assert.deepEqual(s.engine.forDevice('b'), { targeted: ['layer-high', 'layer-low'], applied: [] })
  assert.equal(s.engine.forDevice('leaf'), undefined)
  assert.deepEqual(s.writes.map((w) => w.deviceId), ['a'])
})

test('a device queued many times is evaluated once; unchanged content is not written again', async () => {
  await using s = await setup([{ id: 'a', tags: { env: 'prod' } }])
  s.engine.setDeployments([base('d', 1, '2026-01-01T00:00:00.000Z', { m: mod })])
  await s.engine.idle()
  assert.equal(s.writes.length, 1)
  let reads = 0
  const get = s.store.identities.get.bind(s.store.identities)
  s.store.identities.get = async (...args) => { reads++; return get(...args) }
  for (let i = 0; i < 100; i++) s.engine.deviceChanged('a')
  await s.engine.idle()
  assert.ok(reads <= 2, `read ${reads} times`)
  assert.equal(s.writes.length, 1)
})

test('module twins get the configurations section; it follows retags and deletions, without touching twin versions', async () => {
  await using s = await setup([{ id: 'a', tags: { env: 'prod' } }])
  const section = async (moduleId: string) => (await s.store.identities.get('a', moduleId))!.configurations
  const high = base('high', 9, '2026-01-01T00:00:00.000Z', { m: mod })
  const low = base('low', 1, '2026-01-01T00:00:00.000Z', { m: mod })
  s.engine.setDeployments([high, low])
  await s.engine.idle()
  assert.deepEqual(await section('$edgeAgent'), { high: { status: 'Applied' }, low: { status: 'Targeted' } })
  assert.deepEqual(await section('$edgeHub'), { high: { status: 'Applied' }, low: { status: 'Targeted' } })
  const agentTwin = (await s.store.identities.get('a', '$edgeAgent'))!.twin

  // The device leaves `high`'s target: `low` wins, `high` is gone from the sections.
  s.engine.setDeployments([{ ...high, targetCondition: "tags.env='dev'" }, low])
  await s.engine.idle()
  assert.deepEqual(await section('$edgeAgent'), { low: { status: 'Applied' } })
  // The section is the hub's metadata: writing it changes neither the twin's version nor its etag.
  const after = (await s.store.identities.get('a', '$edgeAgent'))!.twin
  assert.equal(after.etag, agentTwin.etag)

  s.engine.setDeployments([])
  await s.engine.idle()
  assert.equal(await section('$edgeAgent'), undefined)
  assert.equal(await section('$edgeHub'), undefined)
})
