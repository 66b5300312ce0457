import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { localEndpoint, resolveLogin, type HubInfo } from '../src/login.js'
import { CliError, EXIT_USAGE } from '../src/errors.js'

const KEY = Buffer.alloc(32, 7).toString('base64')
const csFor = (host: string, policy = 'iothubowner'): string => `HostName=${host};SharedAccessKeyName=${policy};SharedAccessKey=${KEY}`

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-cli-login-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function writeHub(dir: string, info: Partial<HubInfo>): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'ca.pem'), 'PEM TEXT')
  const full: HubInfo = { hostName: 'myhub', bind: '0.0.0.0', httpsPort: 443, mqttPort: 8883, caFile: join(dir, 'ca.pem'), serviceConnectionString: csFor('myhub'), pid: 1, ...info }
  await writeFile(join(dir, 'hub.json'), JSON.stringify(full), { mode: 0o600 })
}

test('--login wins, and its endpoint is https://HostName:443 with no CA of its own', async () => {
  await withDir(async (cwd) => {
    await writeHub(join(cwd, '.ledge/hub'), {})
    const l = resolveLogin({ login: csFor('flag-hub') }, { LEDGE_HUB_CONNECTION_STRING: csFor('env-hub') }, cwd)
    assert.equal(l.source, '--login')
    assert.equal(l.hostName, 'flag-hub')
    assert.equal(l.policyName, 'iothubowner')
    assert.equal(l.key, KEY)
    assert.equal(l.url.href, 'https://flag-hub/')
    assert.equal(l.ca, undefined)
    assert.equal(l.info, undefined)
  })
})

test('the order: --login, --data-dir, LEDGE_HUB_CONNECTION_STRING, LEDGE_HUB_DATA_DIR, .ledge/hub', async () => {
  await withDir(async (cwd) => {
    await writeHub(join(cwd, '.ledge/hub'), { hostName: 'default-hub', serviceConnectionString: csFor('default-hub') })
    await writeHub(join(cwd, 'flag'), { hostName: 'flag-dir-hub', serviceConnectionString: csFor('flag-dir-hub') })
    await writeHub(join(cwd, 'env'), { hostName: 'env-dir-hub', serviceConnectionString: csFor('env-dir-hub') })
    const env = { LEDGE_HUB_CONNECTION_STRING: csFor('env-hub'), LEDGE_HUB_DATA_DIR: 'env' }
    assert.equal(resolveLogin({ dataDir: 'flag' }, env, cwd).hostName, 'flag-dir-hub')
    assert.equal(resolveLogin({}, env, cwd).hostName, 'env-hub')
    assert.equal(resolveLogin({}, { LEDGE_HUB_DATA_DIR: 'env' }, cwd).hostName, 'env-dir-hub')
    const d = resolveLogin({}, {}, cwd)
    assert.equal(d.hostName, 'default-hub')
    assert.equal(d.source, join(cwd, '.ledge/hub/hub.json'))
    assert.equal(d.ca?.pem, 'PEM TEXT')
    assert.equal(d.info?.mqttPort, 8883)
  })
})

test("a hub.json endpoint dials the bind address, or loopback for 0.0.0.0 and ::", () => {
  assert.equal(localEndpoint({ bind: '0.0.0.0', httpsPort: 443 }).href, 'https://127.0.0.1/')
  assert.equal(localEndpoint({ bind: '127.0.0.42', httpsPort: 8443 }).href, 'https://127.0.0.42:8443/')
  assert.equal(localEndpoint({ bind: '::', httpsPort: 8443 }).href, 'https://[::1]:8443/')
})

test('--hub-url and --ca-file override; LEDGE_HUB_URL and LEDGE_HUB_CA_FILE too', async () => {
  await withDir(async (cwd) => {
    await writeFile(join(cwd, 'other-ca.pem'), 'OTHER')
    const l = resolveLogin({ login: csFor('h'), hubUrl: 'https://10.0.0.5:8443/ignored/path', caFile: 'other-ca.pem' }, {}, cwd)
    assert.equal(l.url.href, 'https://10.0.0.5:8443/')
    assert.equal(l.ca?.pem, 'OTHER')
    const e = resolveLogin({}, { LEDGE_HUB_CONNECTION_STRING: csFor('h'), LEDGE_HUB_URL: 'https://x:1', LEDGE_HUB_CA_FILE: join(cwd, 'other-ca.pem') }, cwd)
    assert.equal(e.url.href, 'https://x:1/')
    assert.equal(e.ca?.file, join(cwd, 'other-ca.pem'))
  })
})

test('no login says how to log in, as a usage error', async () => {
  await withDir(async (cwd) => {
    assert.throws(() => resolveLogin({}, {}, cwd), (err: unknown) =>
      err instanceof CliError && err.exitCode === EXIT_USAGE && /--login/.test(err.message) && /LEDGE_HUB_CONNECTION_STRING/.test(err.message) && /--data-dir/.test(err.message))
    assert.throws(() => resolveLogin({ dataDir: 'nowhere' }, {}, cwd), /no hub\.json in .*nowhere.*ledge hub start --data-dir/)
  })
})

test('a bad connection string or URL names where it came from', async () => {
  assert.throws(() => resolveLogin({ login: 'HostName=h;DeviceId=d;SharedAccessKey=k' }, {}, '/'), /^CliError: --login is not a service connection string/)
  assert.throws(() => resolveLogin({}, { LEDGE_HUB_CONNECTION_STRING: 'nonsense' }, '/'), /LEDGE_HUB_CONNECTION_STRING is not a service connection string/)
  assert.throws(() => resolveLogin({ login: csFor('h'), hubUrl: 'http://h' }, {}, '/'), /--hub-url must be an https:\/\/ URL/)
  assert.throws(() => resolveLogin({ login: csFor('h'), caFile: '/no/such/ca.pem' }, {}, '/'), /cannot read --ca-file \/no\/such\/ca\.pem: no such file/)
})

test('a broken hub.json is reported with its path', async () => {
  await withDir(async (cwd) => {
    await writeFile(join(cwd, 'hub.json'), '{not json')
    assert.throws(() => resolveLogin({ dataDir: '.' }, {}, cwd), /hub\.json is not valid JSON/)
    await writeFile(join(cwd, 'hub.json'), '{"hostName":"h"}')
    assert.throws(() => resolveLogin({ dataDir: '.' }, {}, cwd), /hub\.json lacks bind, httpsPort, serviceConnectionString/)
  })
})
