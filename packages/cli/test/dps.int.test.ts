/**
 * `ledge hub dps …` against a real hub: enrollments and enrollment groups round-trip through the REST API, and
 * `compute-device-key` gives the key Azure's samples derive (HMAC-SHA256 of the registration id under the group key).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { startTestHub } from '@ledge/testkit'
import { ledge } from './helpers.js'

test('compute-device-key matches the Azure derivation, without a hub', async () => {
  const groupKey = Buffer.alloc(64, 3).toString('base64')
  const r = await ledge(['hub', 'dps', 'compute-device-key', '--key', groupKey, '--registration-id', 'sensor-7'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.trim(), createHmac('SHA256', Buffer.from(groupKey, 'base64')).update('sensor-7', 'utf8').digest('base64'))
})

test('enrollment and enrollment-group create, list, show, delete round-trip', { timeout: 120_000 }, async () => {
  await using th = await startTestHub()
  const env = { LEDGE_HUB_DATA_DIR: th.dataDir }
  const run = async (...args: string[]): Promise<string> => {
    const r = await ledge(['hub', 'dps', ...args], { env })
    assert.equal(r.code, 0, `ledge hub dps ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await run(...args, '-o', 'json')) as T

  const scope = await json<{ idScope: string }>('show')
  assert.match(scope.idScope, /^0ne[0-9A-F]{8}$/)

  const created = await json<{ registrationId: string; capabilities: { iotEdge: boolean }; initialTwin: { tags: unknown }; attestation: { symmetricKey: { primaryKey: string } } }>(
    'enrollment', 'create', '--registration-id', 'cam-01', '--edge-enabled', '--initial-twin-tags', '{"site":"lyon"}')
  assert.equal(created.registrationId, 'cam-01')
  assert.equal(created.capabilities.iotEdge, true)
  assert.deepEqual(created.initialTwin.tags, { site: 'lyon' })
  assert.ok(created.attestation.symmetricKey.primaryKey)
  assert.match(await run('enrollment', 'list'), /cam-01/)
  const shown = await json<{ registrationId: string }>('enrollment', 'show', '--registration-id', 'cam-01')
  assert.equal(shown.registrationId, 'cam-01')
  await run('enrollment', 'delete', '--registration-id', 'cam-01')
  const gone = await ledge(['hub', 'dps', 'enrollment', 'show', '--registration-id', 'cam-01'], { env })
  assert.equal(gone.code, 1)
  assert.match(gone.stderr, /enrollment 'cam-01' does not exist/)

  const groupKey = Buffer.alloc(32, 9).toString('base64')
  const group = await json<{ enrollmentGroupId: string; provisioningStatus: string; attestation: { symmetricKey: { primaryKey: string } } }>(
    'enrollment-group', 'create', '-g', 'fleet', '--primary-key', groupKey, '--provisioning-status', 'disabled')
  assert.equal(group.enrollmentGroupId, 'fleet')
  assert.equal(group.provisioningStatus, 'disabled')
  assert.equal(group.attestation.symmetricKey.primaryKey, groupKey)
  assert.match(await run('enrollment-group', 'list'), /fleet/)
  assert.match(await run('enrollment-group', 'show', '-g', 'fleet'), /ProvisioningStatus\s+disabled/)
  await run('enrollment-group', 'delete', '-g', 'fleet')
  assert.doesNotMatch(await run('enrollment-group', 'list'), /fleet/)

  const bad = await ledge(['hub', 'dps', 'enrollment', 'create', '--registration-id', 'x', '--initial-twin-tags', '[1]'], { env })
  assert.equal(bad.code, 2)
})
