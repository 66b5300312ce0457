import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { requireEnvironment } from '@ledge/testkit'
import { containerEngineOutcome } from './container-engine.js'

test('container engine check: not used without [moby_runtime]; a missing socket is an error saying so', async () => {
  assert.deepEqual(await containerEngineOutcome({ uri: 'unix:///nowhere.sock', enabled: false }), {
    result: 'ok', details: ['not used: the config has no [moby_runtime] table, so modules run as processes'],
  })
  assert.deepEqual(await containerEngineOutcome({ uri: 'unix:///nonexistent/docker.sock', enabled: true }), {
    result: 'error', details: ['unix:///nonexistent/docker.sock: the Docker engine is not reachable: the socket does not exist: is dockerd running?'],
  })
})

test('container engine check: a running engine reports its version', async (t) => {
  const uri = process.env.LEDGE_TEST_DOCKER_URI ?? 'unix:///var/run/docker.sock'
  if (!requireEnvironment(t, existsSync(uri.replace('unix://', '')) ? undefined : `no Docker engine socket at ${uri}`)) return
  const r = await containerEngineOutcome({ uri, enabled: true })
  // A socket left by an engine that stopped: outside CI that is the machine's state, not this check's failure.
  if (!requireEnvironment(t, r.result === 'error' && /not reachable/.test(r.details[0] ?? '') ? r.details[0] : undefined)) return
  assert.equal(r.result, 'ok', r.details.join('\n'))
  assert.match(r.details[0]!, /: Docker engine \d+\.\d+\S* \(API 1\.\d+, linux\/\w+\)$/)
})
