import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { defaultAgentSettings, defaultEdgeHubSettings, LEDGE_ROOT, runningBuild } from './defaults.js'

test('LEDGE_ROOT is the folder holding packages/', () => {
  assert.ok(existsSync(join(LEDGE_ROOT, 'packages', 'edge-daemon', 'package.json')))
  assert.equal(runningBuild(join(LEDGE_ROOT, 'packages/edge-daemon/src/config/defaults.ts')), undefined)
  assert.equal(runningBuild(join(LEDGE_ROOT, 'dist/chunks/src-X.js')), join(LEDGE_ROOT, 'dist'))
  assert.equal(runningBuild(join(LEDGE_ROOT, 'distant/x.js')), undefined)
})

test('a daemon from its sources runs the agent and the edge hub from theirs, through tsx; the agent kept small', () => {
  const agent = defaultAgentSettings('/opt/ledge', undefined)
  assert.equal(agent.command, process.execPath)
  assert.deepEqual(agent.args.slice(0, 2), ['--max-semi-space-size=1', '--lite-mode'])
  assert.equal(agent.args.at(-1), '/opt/ledge/packages/edge-agent/src/main.ts')
  assert.match(agent.args[agent.args.indexOf('--import') + 1]!, /^file:.*tsx/)
  const hub = defaultEdgeHubSettings('/opt/ledge', undefined)
  assert.equal(hub.args.at(-1), '/opt/ledge/packages/edge-hub/src/main.ts')
  assert.ok(!hub.args.includes('--lite-mode'), 'the edge hub moves messages: V8 defaults')
  assert.ok(hub.args.includes('--v8-pool-size=1'), 'one V8 background thread')
})

test('a daemon from the build runs the agent and the edge hub from the same build', () => {
  assert.deepEqual(defaultAgentSettings('/opt/ledge', '/opt/ledge/dist').args, ['--max-semi-space-size=1', '--lite-mode', '/opt/ledge/dist/edge-agent.js'])
  assert.deepEqual(defaultEdgeHubSettings('/opt/ledge', '/opt/ledge/dist').args, ['--v8-pool-size=1', '/opt/ledge/dist/edge-hub.js'])
})
