/**
 * The device commands without a daemon: redaction of support bundles, time flags and module descriptions, and the
 * errors a user sees when no daemon answers or the config is wrong (in-process). The real daemon is in
 * device.int.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ModuleDetails } from '@ledge/protocol'
import { redactConfigToml, redactText, secretsInJson } from '../src/commands/device/redact.js'
import { describeModule, humanizeDuration, parseTimeFlag } from '../src/commands/device/time.js'
import { runInProcess } from './helpers.js'

const KEY = 'c2VjcmV0LWRldmljZS1rZXktdmFsdWU='

test('support bundles lose connection string keys, device_id_pk values in every TOML form, private keys and known secrets', () => {
  const toml = [
    `connection_string = "HostName=h;DeviceId=d;SharedAccessKey=${KEY}"`,
    `device_id_pk = { value = "${KEY}1" }`,
    `provisioning.authentication.device_id_pk.value = '${KEY}2'`,
    '[provisioning.authentication.device_id_pk]',
    `value = "${KEY}3"`,
    '[ledge]',
    'value = "kept"',
    '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----',
  ].join('\n')
  const out = redactConfigToml(toml)
  assert.ok(!out.includes(KEY), out)
  assert.match(out, /SharedAccessKey=<redacted>"/)
  assert.match(out, /device_id_pk = \{ value = "<redacted>" \}/)
  assert.match(out, /\[ledge\]\nvalue = "kept"/)
  assert.doesNotMatch(out, /PRIVATE KEY|MHcCAQEE/)
  const sas = redactText(`authorization: SharedAccessSignature sr=h%2Fdevices%2Fd&sig=abc%2Bdef&se=1 and ${KEY} again`, [KEY, 'short'])
  assert.equal(sas, 'authorization: SharedAccessSignature sr=h%2Fdevices%2Fd&sig=<redacted>&se=1 and <redacted> again')
  assert.deepEqual(secretsInJson({ modules: { m: { moduleId: 'm', primaryKey: 'p', nested: [{ secondaryKey: 's' }] } } }), ['p', 's'])
})

test('time flags take ISO times, Unix seconds and durations; modules are described as iotedge list does', () => {
  const now = Date.parse('2024-06-10T12:00:00Z')
  assert.equal(parseTimeFlag('--since', '2024-06-10T08:00:00Z', now), Date.parse('2024-06-10T08:00:00Z'))
  assert.equal(parseTimeFlag('--since', '1718000000', now), 1718000000_000)
  assert.equal(parseTimeFlag('--since', '10m', now), now - 600_000)
  assert.equal(parseTimeFlag('--since', '1h30m', now), now - 5_400_000)
  assert.equal(parseTimeFlag('--since', '2 days', now), now - 2 * 86_400_000)
  assert.throws(() => parseTimeFlag('--since', 'yesterday', now), /--since must be an ISO time/)
  assert.equal(humanizeDuration(3 * 60_000 + 5000), '3 minutes')
  assert.equal(humanizeDuration(90 * 60_000), 'About an hour')
  const m = (status: ModuleDetails['status']): ModuleDetails => ({ id: 'm', name: 'm', type: 'process', config: { settings: {}, env: [] }, status })
  assert.equal(describeModule(m({ startTime: '2024-06-10T11:57:00Z', runtimeStatus: { status: 'running' } }), now), 'Up 3 minutes')
  assert.equal(describeModule(m({ runtimeStatus: { status: 'stopped' } }), now), 'Stopped')
  assert.equal(describeModule(m({ exitStatus: { statusTime: '2024-06-10T11:59:50Z', exitCode: '3' }, runtimeStatus: { status: 'failed' } }), now), 'Failed (3) 10 seconds ago')
})

test('without a daemon: one line naming the socket; bad -H and flags are usage errors; check lists every config problem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-device-'))
  try {
    const sock = join(dir, 'mgmt.sock')
    const none = await runInProcess(['list', '-H', `unix://${sock}`])
    assert.equal(none.code, 1)
    assert.equal(none.stderr, `error: the edge daemon's management socket unix://${sock} does not exist: is the edge daemon running? (start it with: ledge edge start)\n`)
    const env = await runInProcess(['restart', 'm'], { env: { IOTEDGE_HOST: 'http://127.0.0.1:15580' } })
    assert.equal(env.code, 2)
    assert.match(env.stderr, /^error: IOTEDGE_HOST must be unix:\/\/\/path\/to\/mgmt\.sock/)
    const since = await runInProcess(['logs', 'm', '--since', 'soon', '-H', `unix://${sock}`])
    assert.equal(since.code, 2)
    assert.match(since.stderr, /^error: --since must be/)

    const file = join(dir, 'config.toml')
    await writeFile(file, '[provisioning]\nsource = "manual"\nconnection_string = "HostName=x;DeviceId=y"\n[ledge]\nhome_dir = 5\n')
    const check = await runInProcess(['check', '-o', 'json', '--config', file])
    assert.equal(check.code, 1)
    assert.equal(check.stderr, 'error: 2 of 10 checks failed\n')
    const checks = (JSON.parse(check.stdout) as { checks: { id: string; result: string; details: string[] }[] }).checks
    const config = checks.find((c) => c.id === 'config-file')!
    assert.equal(config.result, 'error')
    assert.equal(config.details.length, 2, config.details.join('\n'))
    assert.equal(checks.find((c) => c.id === 'management-socket')!.result, 'error')
    assert.ok(checks.filter((c) => !['config-file', 'management-socket'].includes(c.id)).every((c) => c.result === 'skipped'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
