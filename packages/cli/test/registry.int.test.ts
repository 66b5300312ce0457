/**
 * The `ledge` binary (a child process) against a real hub: device and module identities, twins, queries, the hub's
 * connection string, and the error paths. It logs in through the hub's hub.json (LEDGE_HUB_DATA_DIR) unless a test
 * says otherwise.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { ledge, type RunResult } from './helpers.js'

let th: TestHub
before(async () => {
  th = await startTestHub()
})
after(async () => {
  await th?.close()
})

function hub(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return ledge(['hub', ...args], { env: { LEDGE_HUB_DATA_DIR: th.dataDir, ...env } })
}

async function hubJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await hub([...args, '-o', 'json'])
  assert.equal(r.code, 0, `ledge hub ${args.join(' ')} failed: ${r.stderr}`)
  assert.equal(r.stderr, '')
  return JSON.parse(r.stdout) as T
}

type Device = { deviceId: string; status: string; etag: string; capabilities: { iotEdge: boolean }; authentication: { symmetricKey: { primaryKey: string; secondaryKey: string } } }

test('device-identity create prints a table, or the device as JSON', async () => {
  const table = await hub(['device-identity', 'create', '--device-id', 'cli-table'])
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, /^DeviceId\s+cli-table$/m)
  assert.match(table.stdout, /^Status\s+enabled$/m)
  assert.match(table.stdout, /^PrimaryKey\s+\S{44}$/m)

  const key = Buffer.alloc(32, 1).toString('base64')
  const d = await hubJson<Device>(['device-identity', 'create', '-d', 'cli-json', '--edge-enabled', '--status', 'disabled', '--primary-key', key, '--secondary-key', Buffer.alloc(32, 2).toString('base64')])
  assert.equal(d.deviceId, 'cli-json')
  assert.equal(d.status, 'disabled')
  assert.equal(d.capabilities.iotEdge, true)
  assert.equal(d.authentication.symmetricKey.primaryKey, key)

  const again = await hub(['device-identity', 'create', '-d', 'cli-json'])
  assert.equal(again.code, 1)
  assert.equal(again.stdout, '')
  assert.match(again.stderr, /^error: .*cli-json.* \(DeviceAlreadyExists\)\n$/)
})

test('device-identity list and show', async () => {
  await hubJson(['device-identity', 'create', '-d', 'cli-list-1'])
  await hubJson(['device-identity', 'create', '-d', 'cli-list-2'])
  const table = await hub(['device-identity', 'list'])
  assert.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  assert.match(lines[0]!, /^DeviceId\s+Status\s+ConnectionState\s+Edge\s+C2DMessages\s+LastActivityTime$/)
  assert.match(lines[1]!, /^-+( +-+)+$/)
  assert.ok(lines.some((l) => /^cli-list-1\s+enabled\s+Disconnected\s+no\s+0\s/.test(l)), table.stdout)
  const list = await hubJson<Device[]>(['device-identity', 'list', '--top', '1000'])
  assert.ok(list.some((d) => d.deviceId === 'cli-list-2'))
  const shown = await hubJson<Device>(['device-identity', 'show', '-d', 'cli-list-2'])
  assert.equal(shown.deviceId, 'cli-list-2')
  assert.equal(shown.status, 'enabled')
})

test('device-identity update --status disabled, then delete', async () => {
  const created = await hubJson<Device>(['device-identity', 'create', '-d', 'cli-upd'])
  const updated = await hubJson<Device>(['device-identity', 'update', '-d', 'cli-upd', '--status', 'disabled'])
  assert.equal(updated.status, 'disabled')
  assert.equal(updated.authentication.symmetricKey.primaryKey, created.authentication.symmetricKey.primaryKey)
  assert.notEqual(updated.etag, created.etag)
  assert.equal((await hubJson<Device>(['device-identity', 'show', '-d', 'cli-upd'])).status, 'disabled')

  const stale = await hub(['device-identity', 'update', '-d', 'cli-upd', '--status', 'enabled', '--etag', created.etag])
  assert.equal(stale.code, 1)
  assert.match(stale.stderr, /\(PreconditionFailed\)\n$/)

  const del = await hub(['device-identity', 'delete', '-d', 'cli-upd'])
  assert.equal(del.code, 0, del.stderr)
  const gone = await hub(['device-identity', 'show', '-d', 'cli-upd'])
  assert.deepEqual(gone, { code: 1, stdout: '', stderr: "error: device 'cli-upd' does not exist (DeviceNotFound)\n" })
})

test('module-identity create, list, show and delete', async () => {
  await hubJson(['device-identity', 'create', '-d', 'cli-mod'])
  const m = await hubJson<{ moduleId: string; deviceId: string }>(['module-identity', 'create', '-d', 'cli-mod', '-m', 'filter'])
  assert.deepEqual([m.deviceId, m.moduleId], ['cli-mod', 'filter'])
  const table = await hub(['module-identity', 'list', '--device-id', 'cli-mod'])
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, /^ModuleId\s+DeviceId\s+ManagedBy\s+ConnectionState\s+LastActivityTime$/m)
  assert.match(table.stdout, /^filter\s+cli-mod\s/m)
  assert.equal((await hubJson<unknown[]>(['module-identity', 'list', '-d', 'cli-mod'])).length, 1)
  assert.equal((await hubJson<{ moduleId: string }>(['module-identity', 'show', '-d', 'cli-mod', '-m', 'filter'])).moduleId, 'filter')
  assert.equal((await hub(['module-identity', 'delete', '-d', 'cli-mod', '-m', 'filter'])).code, 0)
  const gone = await hub(['module-identity', 'show', '-d', 'cli-mod', '-m', 'filter'])
  assert.equal(gone.code, 1)
  assert.match(gone.stderr, /^error: .*filter.* \(ModuleNotFound\)\n$/)
})

type Twin = { deviceId: string; moduleId?: string; etag: string; tags: Record<string, unknown>; properties: { desired: Record<string, unknown> } }

test('device-twin update --desired --tags, then show; module-twin too', async () => {
  await hubJson(['device-identity', 'create', '-d', 'cli-twin'])
  const patched = await hubJson<Twin>(['device-twin', 'update', '-d', 'cli-twin', '--desired', '{"interval": 30, "mode": {"fast": true}}', '--tags', '{"site": "paris"}'])
  assert.equal(patched.properties.desired.interval, 30)
  assert.equal(patched.tags.site, 'paris')
  const shown = await hubJson<Twin>(['device-twin', 'show', '-d', 'cli-twin'])
  assert.deepEqual(shown.properties.desired.mode, { fast: true })
  const table = await hub(['device-twin', 'show', '-d', 'cli-twin'])
  assert.match(table.stdout, /^Desired\s+\{"interval":30,"mode":\{"fast":true\}\}$/m)
  assert.match(table.stdout, /^Tags\s+\{"site":"paris"\}$/m)

  const removed = await hubJson<Twin>(['device-twin', 'update', '-d', 'cli-twin', '--desired', '{"mode": null}', '--etag', shown.etag])
  assert.equal(removed.properties.desired.mode, undefined)

  await hubJson(['module-identity', 'create', '-d', 'cli-twin', '-m', 'm1'])
  const mt = await hubJson<Twin>(['module-twin', 'update', '-d', 'cli-twin', '-m', 'm1', '--desired', '{"level": 2}'])
  assert.equal(mt.moduleId, 'm1')
  assert.equal((await hubJson<Twin>(['module-twin', 'show', '-d', 'cli-twin', '-m', 'm1'])).properties.desired.level, 2)
})

test('query lists twins, projections and counts', async () => {
  await hubJson(['device-identity', 'create', '-d', 'cli-q1'])
  await hubJson(['device-twin', 'update', '-d', 'cli-q1', '--tags', '{"team": "query-test"}'])
  const twins = await hubJson<Twin[]>(['query', '--query-command', "SELECT * FROM devices WHERE tags.team = 'query-test'"])
  assert.deepEqual(twins.map((t) => t.deviceId), ['cli-q1'])
  const table = await hub(['query', '-q', "SELECT deviceId, tags.team FROM devices WHERE tags.team = 'query-test'"])
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, /^deviceId\s+team\n-+\s+-+\ncli-q1\s+query-test\n$/)
  const top = await hubJson<unknown[]>(['query', '-q', 'SELECT * FROM devices', '--top', '2'])
  assert.equal(top.length, 2)
})

test('hub connection-string show prints the login connection string, which works as --login', async () => {
  const r = await hub(['connection-string', 'show'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, th.serviceConnectionString + '\n')
  // Logged in by connection string: https://<HostName>:443, the test CA through NODE_EXTRA_CA_CERTS.
  const viaLogin = await ledge(['hub', 'device-identity', 'list', '--login', r.stdout.trim(), '-o', 'json'])
  assert.equal(viaLogin.code, 0, viaLogin.stderr)
  assert.ok(Array.isArray(JSON.parse(viaLogin.stdout)))
  const viaEnv = await ledge(['hub', 'device-identity', 'list'], { env: { LEDGE_HUB_CONNECTION_STRING: th.serviceConnectionString } })
  assert.equal(viaEnv.code, 0, viaEnv.stderr)
})

test('error paths: unknown device, bad --desired JSON, no login', async () => {
  const unknown = await hub(['device-twin', 'show', '-d', 'no-such-device'])
  assert.deepEqual(unknown, { code: 1, stdout: '', stderr: "error: device 'no-such-device' does not exist (DeviceNotFound)\n" })

  const bad = await hub(['device-twin', 'update', '-d', 'x', '--desired', '{interval: 30}'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^error: --desired is not valid JSON: [^\n]+\n$/)

  const empty = await mkdtemp(join(tmpdir(), 'ledge-cli-nologin-'))
  try {
    const none = await ledge(['hub', 'device-identity', 'list'], { cwd: empty })
    assert.equal(none.code, 2)
    assert.equal(none.stderr.split('\n').length, 2, none.stderr)
    assert.match(none.stderr, /^error: no hub login: pass --login .*LEDGE_HUB_CONNECTION_STRING.*--data-dir/)
  } finally {
    await rm(empty, { recursive: true, force: true })
  }
})
