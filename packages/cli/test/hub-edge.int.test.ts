/** `ledge hub edge set-modules` against a real hub: a deployment file lands in the module twins; bad files are named. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestHub } from '@ledge/testkit'
import { ledge } from './helpers.js'

test('set-modules applies a manifest to an edge device and reports problems clearly', async () => {
  await using th = await startTestHub()
  const dir = await mkdtemp(join(tmpdir(), 'ledge-set-modules-'))
  const env = { LEDGE_HUB_DATA_DIR: th.dataDir }
  try {
    assert.equal((await ledge(['hub', 'device-identity', 'create', '-d', 'EdgeCam', '--edge-enabled'], { env })).code, 0)
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
    const file = join(dir, 'deployment.json')
    await writeFile(file, JSON.stringify(manifest))
    const ok = await ledge(['hub', 'edge', 'set-modules', '-d', 'EdgeCam', '--content', file, '-o', 'json'], { env })
    assert.equal(ok.code, 0, ok.stderr)
    assert.deepEqual(JSON.parse(ok.stdout).modules, ['camera'])

    const missing = await ledge(['hub', 'edge', 'set-modules', '-d', 'EdgeCam', '--content', join(dir, 'nope.json')], { env })
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /^error: --content cannot be read: no file '.*nope\.json'$/m)

    await writeFile(join(dir, 'broken.json'), '{"modulesContent": ')
    const broken = await ledge(['hub', 'edge', 'set-modules', '-d', 'EdgeCam', '--content', join(dir, 'broken.json')], { env })
    assert.equal(broken.code, 2)
    assert.match(broken.stderr, /--content '.*broken\.json' is not valid JSON/)

    await writeFile(join(dir, 'partial.json'), JSON.stringify({ modulesContent: { $edgeAgent: manifest.modulesContent.$edgeAgent } }))
    const partial = await ledge(['hub', 'edge', 'set-modules', '-d', 'EdgeCam', '--content', join(dir, 'partial.json')], { env })
    assert.equal(partial.code, 1)
    assert.match(partial.stderr, /modulesContent\.\$edgeHub is missing/)

    // The manifest schema: every problem, each with its JSON path.
    const wrong = structuredClone(manifest) as { modulesContent: { $edgeAgent: { 'properties.desired': { modules: Record<string, Record<string, unknown>> } } } }
    wrong.modulesContent.$edgeAgent['properties.desired'].modules.camera!.restartPolicy = 'sometimes'
    wrong.modulesContent.$edgeAgent['properties.desired'].modules.camera!.type = 'vm'
    await writeFile(join(dir, 'wrong.json'), JSON.stringify(wrong))
    const invalid = await ledge(['hub', 'edge', 'set-modules', '-d', 'EdgeCam', '--content', join(dir, 'wrong.json')], { env })
    assert.equal(invalid.code, 1)
    assert.match(invalid.stderr, /modules\.camera\.restartPolicy: expected one of never\|on-failure\|on-unhealthy\|always/)
    assert.match(invalid.stderr, /unknown module type 'vm'/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
