/** `ledge hub edge deployment …` against a real hub: create, list, show, show-metric, delete; bad input named. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestHub } from '@ledge/testkit'
import { ledge } from './helpers.js'

const manifest = {
  modulesContent: {
    $edgeAgent: { 'properties.desired': {
      schemaVersion: '1.1', runtime: { type: 'process', settings: {} },
      systemModules: { edgeAgent: { type: 'process', settings: { command: 'node' } }, edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } } },
      modules: { camera: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } } },
    } },
    $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
  },
}

test('deployment create, list, show, show-metric and delete', async () => {
  await using th = await startTestHub()
  const dir = await mkdtemp(join(tmpdir(), 'ledge-deployment-'))
  const env = { LEDGE_HUB_DATA_DIR: th.dataDir }
  const run = (args: string[]) => ledge(['hub', 'edge', 'deployment', ...args], { env })
  try {
    for (const d of ['cam-1', 'cam-2', 'other']) assert.equal((await ledge(['hub', 'device-identity', 'create', '-d', d, '--edge-enabled'], { env })).code, 0)
    for (const d of ['cam-1', 'cam-2']) assert.equal((await ledge(['hub', 'device-twin', 'update', '-d', d, '--tags', '{"kind":"camera"}'], { env })).code, 0)
    const file = join(dir, 'deployment.json')
    await writeFile(file, JSON.stringify(manifest))
    const metricsFile = join(dir, 'metrics.json')
    await writeFile(metricsFile, JSON.stringify({ queries: { agents: "SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent'" } }))

    const created = await run(['create', '-d', 'cameras', '-k', file, '-t', "tags.kind='camera'", '--priority', '5', '--labels', '{"team":"vision"}', '-m', metricsFile, '-o', 'json'])
    assert.equal(created.code, 0, created.stderr)
    assert.equal(JSON.parse(created.stdout).priority, 5)

    let applied = 0
    for (let i = 0; i < 100 && applied !== 2; i++) {
      const shown = await run(['show', '-d', 'cameras', '-o', 'json'])
      applied = JSON.parse(shown.stdout).systemMetrics.results.appliedCount
      if (applied !== 2) await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(applied, 2)
    const metric = await run(['show-metric', '-d', 'cameras', '-m', 'appliedCount', '--metric-type', 'system', '-o', 'json'])
    assert.equal(metric.code, 0, metric.stderr)
    assert.deepEqual(JSON.parse(metric.stdout).deviceIds, ['cam-1', 'cam-2'])
    const user = await run(['show-metric', '-d', 'cameras', '-m', 'agents', '-o', 'json'])
    assert.equal(JSON.parse(user.stdout).count, 3)

    const list = await run(['list'])
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /cameras\s+5\s+false\s+tags\.kind='camera'\s+2\s+2\s+0\s+0/)

    const bad = await run(['create', '-d', 'Bad', '-k', file, '-t', "tags.kind='camera' AND"])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /configuration id 'Bad' is not valid/)
    const badPriority = await run(['create', '-d', 'x', '-k', file, '-t', '*', '--priority', '-3'])
    assert.equal(badPriority.code, 2)
    assert.match(badPriority.stderr, /--priority must be a non-negative integer/)

    assert.equal((await run(['delete', '-d', 'cameras'])).code, 0)
    const gone = await run(['show', '-d', 'cameras'])
    assert.equal(gone.code, 1)
    assert.match(gone.stderr, /configuration 'cameras' does not exist/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
