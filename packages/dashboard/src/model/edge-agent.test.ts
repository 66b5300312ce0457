import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deploymentSummary, manifestFromModuleTwins, moduleRows } from './edge-agent.js'

const desired = {
  schemaVersion: '1.1',
  runtime: { type: 'process' },
  systemModules: { edgeAgent: { type: 'process', settings: { command: 'ledge-agent' } }, edgeHub: { type: 'process', status: 'running', settings: {} } },
  modules: { camera: { type: 'process', status: 'running', version: '1.0', settings: { image: 'ledge/camera:1' } }, 'face-detector': { status: 'running', settings: {} } },
  $version: 4,
  $metadata: { $lastUpdated: '2026-01-01T00:00:00Z' },
}
const reported = {
  lastDesiredVersion: 4,
  lastDesiredStatus: { code: 200, description: '' },
  systemModules: { edgeAgent: { runtimeStatus: 'running' }, edgeHub: { runtimeStatus: 'running', restartCount: 0, exitCode: 0 } },
  modules: {
    camera: { runtimeStatus: 'running', restartCount: 2, exitCode: 0, lastStartTimeUtc: '2026-01-01T00:00:01Z', lastExitTimeUtc: '0001-01-01T00:00:00Z' },
    legacy: { runtimeStatus: 'stopped', exitCode: 137 },
  },
  $metadata: { $lastUpdated: '2026-01-01T00:00:02Z' },
}

test('module rows: system first, desired and reported merged, odd fields tolerated', () => {
  const rows = moduleRows(desired, reported)
  assert.deepEqual(rows.map((r) => r.name), ['edgeAgent', 'edgeHub', 'camera', 'face-detector', 'legacy'])
  const camera = rows.find((r) => r.name === 'camera')!
  assert.equal(camera.runtimeStatus, 'running')
  assert.equal(camera.restartCount, 2)
  assert.equal(camera.image, 'ledge/camera:1')
  assert.equal(camera.lastExitTimeUtc, undefined)
  assert.equal(rows.find((r) => r.name === 'face-detector')!.runtimeStatus, 'not reported')
  assert.equal(rows.find((r) => r.name === 'legacy')!.inDeployment, false)
  assert.equal(rows[1]!.moduleId, '$edgeHub')
  assert.deepEqual(moduleRows(undefined, { modules: 'nonsense' }), [])
})

test('deployment summary: applied, pending, failed, none', () => {
  assert.equal(deploymentSummary(desired, reported).state, 'applied')
  assert.equal(deploymentSummary({ ...desired, $version: 5 }, reported).state, 'pending')
  assert.equal(deploymentSummary(desired, { ...reported, lastDesiredStatus: { code: 400, description: 'bad image' } }).state, 'failed')
  assert.equal(deploymentSummary({ $version: 1 }, {}).state, 'none')
  assert.equal(deploymentSummary(desired, {}).state, 'pending')
})

test('the manifest is rebuilt from module twins, system modules first, without twin metadata', () => {
  const m = manifestFromModuleTwins([
    { moduleId: 'camera', properties: { desired: { fps: 2, $version: 3 } } },
    { moduleId: '$edgeHub', properties: { desired: { routes: {}, $version: 2 } } },
    { moduleId: '$edgeAgent', properties: { desired } },
  ]) as { modulesContent: Record<string, Record<string, Record<string, unknown>>> }
  assert.deepEqual(Object.keys(m.modulesContent), ['$edgeAgent', '$edgeHub', 'camera'])
  assert.equal(m.modulesContent.$edgeAgent!['properties.desired']!.$version, undefined)
  assert.deepEqual(m.modulesContent.camera!['properties.desired'], { fps: 2 })
})
