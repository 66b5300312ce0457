/**
 * The program in-process against a stand-in HTTPS server: the requests each command makes, what it prints, and the
 * exit codes. The real hub is in *.int.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FAKE_HOST, json, startFakeHub, type FakeHub } from './fake-hub.js'
import { runInProcess } from './helpers.js'

async function withFake(fn: (fake: FakeHub, login: string[], dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-cli-'))
  await using fake = await startFakeHub()
  try {
    await writeFile(join(dir, 'ca.pem'), fake.caPem)
    await fn(fake, [...fake.flags(), '--ca-file', join(dir, 'ca.pem')], dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const device = {
  deviceId: 'd1', generationId: 'g', etag: 'MQ==', connectionState: 'Disconnected', status: 'enabled', statusReason: null,
  statusUpdatedTime: '0001-01-01T00:00:00Z', lastActivityTime: '0001-01-01T00:00:00Z', cloudToDeviceMessageCount: 0,
  authentication: { type: 'sas', symmetricKey: { primaryKey: 'cHJpbWFyeQ==', secondaryKey: 'c2Vjb25kYXJ5' }, x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null } },
  capabilities: { iotEdge: false },
}

test('help and --version exit 0; usage errors exit 2 with one line', async () => {
  assert.equal((await runInProcess(['--help'])).code, 0)
  const v = await runInProcess(['--version'])
  assert.equal(v.code, 0)
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/)
  const unknown = await runInProcess(['hub', 'device-identity', 'show', '--device-id', 'x', '--bogus'])
  assert.equal(unknown.code, 2)
  assert.equal(unknown.stderr, "error: unknown option '--bogus'\n")
  const choice = await runInProcess(['hub', 'device-identity', 'create', '-d', 'x', '--status', 'paused'])
  assert.equal(choice.code, 2)
  assert.equal(choice.stderr.trim().split('\n').length, 1)
  assert.match(choice.stderr, /--status <status>.*Allowed choices are enabled, disabled/)
})

test('ledge version prints a line, or JSON', async () => {
  assert.match((await runInProcess(['version'])).stdout, /^ledge \d+\.\d+\.\d+ \(node v\d+.*, api-version 2021-04-12\)\n$/)
  const j = JSON.parse((await runInProcess(['version', '-o', 'json'])).stdout) as Record<string, string>
  assert.equal(j.apiVersion, '2021-04-12')
})

test('flag values are checked before any login is looked for', async () => {
  const r = await runInProcess(['hub', 'device-twin', 'update', '-d', 'x', '--desired', '{"a":'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /^error: --desired is not valid JSON: .*\n$/)
  const noLogin = await runInProcess(['hub', 'device-identity', 'list'], { cwd: tmpdir() })
  assert.equal(noLogin.code, 2)
  assert.match(noLogin.stderr, /^error: no hub login: pass --login .* LEDGE_HUB_CONNECTION_STRING.*--data-dir/)
})

test('a hub error is one line and exit 1', async () => {
  await withFake(async (fake, login) => {
    fake.handle((_r, res) => json(res, 404, { Message: "ErrorCode:DeviceNotFound;device 'nope' does not exist", ErrorCode: 'DeviceNotFound' }))
    const r = await runInProcess(['hub', 'device-identity', 'show', '-d', 'nope', ...login])
    assert.deepEqual(r, { code: 1, stdout: '', stderr: "error: device 'nope' does not exist (DeviceNotFound)\n" })
  })
})

test('device-identity update reads the device and puts it back with the change, If-Match *', async () => {
  await withFake(async (fake, login) => {
    fake.handle((r, res) => json(res, 200, r.method === 'GET' ? device : { ...device, ...JSON.parse(r.body) }))
    const r = await runInProcess(['hub', 'device-identity', 'update', '-d', 'd1', '--status', 'disabled', '--status-reason', 'maintenance', ...login])
    assert.equal(r.code, 0, r.stderr)
    const [get, put] = fake.seen
    assert.equal(get!.method, 'GET')
    assert.equal(put!.method, 'PUT')
    assert.equal(put!.headers['if-match'], '*')
    const body = JSON.parse(put!.body)
    assert.equal(body.status, 'disabled')
    assert.equal(body.statusReason, 'maintenance')
    assert.deepEqual(body.authentication.symmetricKey, device.authentication.symmetricKey)
    assert.match(r.stdout, /^Status\s+disabled$/m)
    const none = await runInProcess(['hub', 'device-identity', 'update', '-d', 'd1', ...login])
    assert.equal(none.code, 2)
    assert.match(none.stderr, /nothing to update/)
  })
})

test('c2d-message send: the body as is, properties as iothub-* headers', async () => {
  await withFake(async (fake, login) => {
    fake.handle((_r, res) => json(res, 200, { messageId: 'm-1', expiryTimeUtc: '2030-01-01T00:00:00.000Z' }))
    const before = Date.now()
    const r = await runInProcess(['hub', 'c2d-message', 'send', '-d', 'd 1', '--data', 'héllo', '--props', 'color=red;size=L', '--message-id', 'm-1', '--correlation-id', 'c-1', '--content-type', 'text/plain', '--ttl', '60000', ...login])
    assert.equal(r.code, 0, r.stderr)
    const req = fake.seen[0]!
    assert.equal(req.url.pathname, '/devices/d%201/messages/deviceBound')
    assert.equal(req.body, 'héllo')
    assert.equal(req.headers['iothub-app-color'], 'red')
    assert.equal(req.headers['iothub-app-size'], 'L')
    assert.equal(req.headers['iothub-messageid'], 'm-1')
    assert.equal(req.headers['iothub-correlationid'], 'c-1')
    assert.equal(req.headers['content-type'], 'text/plain')
    const expiry = Date.parse(String(req.headers['iothub-expiry']))
    assert.ok(expiry >= before + 60_000 && expiry <= Date.now() + 60_000)
    assert.match(r.stdout, /^MessageId\s+m-1$/m)
  })
})

test('invoke-module-method posts the method body and prints status and payload', async () => {
  await withFake(async (fake, login) => {
    fake.handle((_r, res) => json(res, 200, { status: 200, payload: { ok: 1 } }))
    const r = await runInProcess(['hub', 'invoke-module-method', '-d', 'd1', '-m', 'm1', '--method-name', 'reboot', '--method-payload', '{"delay":5}', '--timeout', '10', ...login, '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(fake.seen[0]!.url.pathname, '/twins/d1/modules/m1/methods')
    assert.deepEqual(JSON.parse(fake.seen[0]!.body), { methodName: 'reboot', payload: { delay: 5 }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 0 })
    assert.deepEqual(JSON.parse(r.stdout), { status: 200, payload: { ok: 1 } })
    const bad = await runInProcess(['hub', 'invoke-device-method', '-d', 'd1', '--method-name', 'x', '--timeout', '1', ...login])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /^error: --timeout must be at least 5/)
  })
})

test('query follows x-ms-continuation and stops at --top', async () => {
  await withFake(async (fake, login) => {
    fake.handle((r, res) => {
      const page = r.headers['x-ms-continuation'] ? 2 : 1
      json(res, 200, [{ deviceId: `d${page}a` }, { deviceId: `d${page}b` }], page === 1 ? { 'x-ms-continuation': 'next' } : {})
    })
    const all = await runInProcess(['hub', 'query', '-q', 'SELECT deviceId FROM devices', ...login, '-o', 'json'])
    assert.equal(all.code, 0, all.stderr)
    assert.deepEqual(JSON.parse(all.stdout), [{ deviceId: 'd1a' }, { deviceId: 'd1b' }, { deviceId: 'd2a' }, { deviceId: 'd2b' }])
    assert.deepEqual(JSON.parse(fake.seen[0]!.body), { query: 'SELECT deviceId FROM devices' })
    assert.equal(fake.seen[1]!.headers['x-ms-continuation'], 'next')
    fake.seen.length = 0
    const top = await runInProcess(['hub', 'query', '-q', 'SELECT deviceId FROM devices', '--top', '3', ...login])
    assert.equal(top.stdout, 'deviceId\n--------\nd1a\nd1b\nd2a\n')
    assert.equal(fake.seen[0]!.headers['x-ms-max-item-count'], '3')
    assert.equal(fake.seen[1]!.headers['x-ms-max-item-count'], '1')
  })
})

function sse(res: import('node:http').ServerResponse, events: object[], end: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })
  res.write(': ledge events stream\n\n')
  for (const e of events) res.write(`id: ${(e as { offset: number }).offset}\nevent: message\ndata: ${JSON.stringify(e)}\n\n`)
  if (end) res.end()
}

const ev = (offset: number) => ({ offset, deviceId: 'd1', moduleId: null, enqueuedTimeUtc: '2025-01-01T00:00:00.000Z', systemProperties: {}, properties: {}, body: { n: offset }, bodyEncoding: 'json' })

test('monitor-events prints events as they come and stops at --max-events, --timeout or Ctrl-C', async () => {
  await withFake(async (fake, login) => {
    fake.handle((_r, res) => sse(res, [ev(1), ev(2), ev(3)], false))
    const max = await runInProcess(['hub', 'monitor-events', '-d', 'd1', '--from', 'earliest', '--max-events', '2', ...login, '-o', 'json'])
    assert.equal(max.code, 0, max.stderr)
    assert.deepEqual(max.stdout.trim().split('\n').map((l) => JSON.parse(l).offset), [1, 2])
    assert.equal(fake.seen[0]!.url.searchParams.get('deviceId'), 'd1')
    assert.equal(fake.seen[0]!.url.searchParams.get('from'), 'earliest')
    assert.equal(fake.seen[0]!.url.searchParams.has('moduleId'), false)

    const timed = await runInProcess(['hub', 'monitor-events', '--timeout', '1', ...login])
    assert.equal(timed.code, 0, timed.stderr)
    assert.equal(timed.stdout.trim().split('\n').length, 3)
    assert.match(timed.stdout, /^2025-01-01T00:00:00.000Z  d1  offset=1  \{"n":1\}$/m)

    const ac = new AbortController()
    setTimeout(() => ac.abort(), 300)
    const stopped = await runInProcess(['hub', 'monitor-events', ...login], { signal: ac.signal })
    assert.equal(stopped.code, 0, stopped.stderr)

    const bad = await runInProcess(['hub', 'monitor-events', '--from', 'yesterday', ...login])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /^error: --from must be earliest, latest or an offset/)
  })
})

test('monitor-events fails when the hub ends the stream', async () => {
  await withFake(async (fake, login) => {
    fake.handle((_r, res) => sse(res, [ev(1)], true))
    const r = await runInProcess(['hub', 'monitor-events', ...login])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, 'error: the hub closed the events stream\n')
    assert.equal(r.stdout.trim().split('\n').length, 1)
  })
})

test('with a hub.json login, a device connection string names GatewayHostName when MQTT is not on 8883', async () => {
  await withFake(async (fake, _login, dir) => {
    fake.handle((_r, res) => json(res, 200, device))
    const port = Number(new URL(fake.url).port)
    const info = { hostName: FAKE_HOST, bind: '127.0.0.1', httpsPort: port, mqttPort: 18883, caFile: join(dir, 'ca.pem'), serviceConnectionString: fake.connectionString, pid: process.pid }
    await writeFile(join(dir, 'hub.json'), JSON.stringify(info), { mode: 0o600 })
    const r = await runInProcess(['hub', 'device-identity', 'connection-string', 'show', '-d', 'd1', '--key-type', 'secondary'], { env: { LEDGE_HUB_DATA_DIR: dir } })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `HostName=${FAKE_HOST};DeviceId=d1;SharedAccessKey=c2Vjb25kYXJ5;GatewayHostName=${FAKE_HOST}:18883\n`)
    await writeFile(join(dir, 'hub.json'), JSON.stringify({ ...info, mqttPort: 8883 }), { mode: 0o600 })
    const std = await runInProcess(['hub', 'device-identity', 'connection-string', 'show', '-d', 'd1', '--data-dir', dir, '-o', 'json'])
    assert.deepEqual(JSON.parse(std.stdout), { connectionString: `HostName=${FAKE_HOST};DeviceId=d1;SharedAccessKey=cHJpbWFyeQ==` })
  })
})

test("hub connection-string show: the login's own policy without a request, another one from the hub", async () => {
  await withFake(async (fake, login) => {
    const own = await runInProcess(['hub', 'connection-string', 'show', ...login])
    assert.equal(own.stdout, fake.connectionString + '\n')
    assert.equal(fake.seen.length, 0)
    fake.handle((r, res) =>
      r.url.pathname === '/policies/service'
        ? json(res, 200, { keyName: 'service', primaryKey: 'cA==', secondaryKey: 'cw==', rights: ['ServiceConnect'] })
        : json(res, 404, { Message: "ErrorCode:NotFound;shared access policy 'x' does not exist", ErrorCode: 'NotFound' }))
    const other = await runInProcess(['hub', 'connection-string', 'show', '--policy-name', 'service', '--key-type', 'secondary', ...login])
    assert.equal(other.stdout, `HostName=${FAKE_HOST};SharedAccessKeyName=service;SharedAccessKey=cw==\n`)
    const missing = await runInProcess(['hub', 'connection-string', 'show', '--policy-name', 'x', ...login])
    assert.equal(missing.code, 1)
    assert.equal(missing.stderr, "error: shared access policy 'x' does not exist (NotFound)\n")
  })
})
