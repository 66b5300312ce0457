import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { parseSasToken, verifySasSignature } from '@ledge/protocol'
import { HubClient, parseHubError } from '../src/hub-client.js'
import { HubApiError, CliError } from '../src/errors.js'
import type { HubLogin } from '../src/login.js'
import { FAKE_HOST, FAKE_KEY, json, startFakeHub, type FakeHub } from './fake-hub.js'

function loginFor(fake: FakeHub, over: Partial<HubLogin> = {}): HubLogin {
  return {
    source: 'test', connectionString: fake.connectionString, hostName: FAKE_HOST, policyName: 'iothubowner', key: FAKE_KEY,
    url: new URL(fake.url), ca: { pem: fake.caPem, file: 'ca.pem' }, ...over,
  }
}

test('each request is signed with a fresh service token and carries api-version, Request-Id and JSON headers', async () => {
  await using fake = await startFakeHub()
  fake.handle((_r, res) => json(res, 200, { ok: true }))
  const client = new HubClient(loginFor(fake))
  const res = await client.request({ method: 'PUT', path: '/devices/a%3Ab', json: { deviceId: 'a:b' } })
  assert.deepEqual(res.body, { ok: true })
  await client.request({ method: 'GET', path: '/devices', query: { top: 5, skip: undefined } })
  const [put, get] = fake.seen
  assert.equal(put!.method, 'PUT')
  assert.equal(put!.url.pathname, '/devices/a%3Ab')
  assert.equal(put!.url.searchParams.get('api-version'), '2021-04-12')
  assert.equal(put!.headers['content-type'], 'application/json; charset=utf-8')
  assert.deepEqual(JSON.parse(put!.body), { deviceId: 'a:b' })
  assert.match(String(put!.headers['request-id']), /^[0-9a-f-]{36}$/)
  assert.notEqual(put!.headers['request-id'], get!.headers['request-id'])
  const token = parseSasToken(String(put!.headers.authorization))
  assert.equal(token.sr, FAKE_HOST)
  assert.equal(token.skn, 'iothubowner')
  assert.ok(verifySasSignature(token, FAKE_KEY))
  assert.ok(Math.abs(token.se - (Date.now() / 1000 + 3600)) < 60)
  assert.equal(get!.headers['content-type'], undefined)
  assert.equal(get!.url.search, '?top=5&api-version=2021-04-12')
})

test("IoT Hub's error body becomes one line with the error code", async () => {
  await using fake = await startFakeHub()
  fake.handle((_r, res) => json(res, 404, { Message: "ErrorCode:DeviceNotFound;device 'x' does not exist", ExceptionMessage: 'Tracking ID:1', ErrorCode: 'DeviceNotFound' }))
  const client = new HubClient(loginFor(fake))
  await assert.rejects(client.request({ method: 'GET', path: '/devices/x' }), (err: unknown) =>
    err instanceof HubApiError && err.message === "device 'x' does not exist (DeviceNotFound)" && err.status === 404 && err.exitCode === 1)
})

test('error bodies in other shapes still make one readable line', () => {
  assert.equal(parseHubError(502, 'Bad Gateway', '<html>\n<b>oops</b>\n</html>').message, 'the hub answered HTTP 502 Bad Gateway: <html> <b>oops</b> </html>')
  assert.equal(parseHubError(500, 'Internal Server Error', '').message, 'the hub answered HTTP 500 Internal Server Error')
  const nested = parseHubError(400, 'Bad Request', JSON.stringify({ Message: 'ErrorCode:ArgumentInvalid;{"Message":"bad thing","ExceptionMessage":""}' }))
  assert.equal(nested.message, 'bad thing (ArgumentInvalid)')
})

test('a hub whose certificate the CA did not issue gets a hint about --ca-file', async () => {
  await using fake = await startFakeHub()
  const client = new HubClient(loginFor(fake, { ca: undefined }))
  await assert.rejects(client.request({ method: 'GET', path: '/devices' }), (err: unknown) =>
    err instanceof CliError && /is not trusted \(.*\): pass --ca-file/.test(err.message))
})

test('the certificate must name the login host name, whatever address is dialled', async () => {
  await using fake = await startFakeHub()
  const client = new HubClient(loginFor(fake, { hostName: 'other-hub.test' }))
  await assert.rejects(client.request({ method: 'GET', path: '/devices' }), /does not name 'other-hub\.test'/)
})

test('connection refused names the address', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const client = new HubClient({ source: 'x', connectionString: '', hostName: 'h', policyName: 'p', key: FAKE_KEY, url: new URL(`https://127.0.0.1:${port}`) })
  await assert.rejects(client.request({ method: 'GET', path: '/devices' }), new RegExp(`cannot connect to the hub at 127\\.0\\.0\\.1:${port}: connection refused`))
})

test('a hub that does not answer in time, and a cancelled request', async () => {
  await using fake = await startFakeHub()
  fake.handle(() => undefined)
  await assert.rejects(new HubClient(loginFor(fake)).request({ method: 'GET', path: '/slow', timeoutMs: 200 }), /did not answer within 200 ms/)
  const ac = new AbortController()
  const p = new HubClient(loginFor(fake), { signal: ac.signal }).request({ method: 'GET', path: '/slow' })
  setTimeout(() => ac.abort(), 50)
  await assert.rejects(p, (err: unknown) => err instanceof CliError && err.message === 'cancelled' && err.exitCode === 130)
})
