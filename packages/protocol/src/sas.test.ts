// SAS tokens against the real, unmodified Azure IoT SDK packages (azure-sdk-wire.md §4): what they make, we accept,
// and what we make for the same inputs is byte-identical to theirs.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import {
  createIdentitySasToken,
  createSasToken,
  createServiceSasToken,
  encodeUriComponentStrict,
  identityResourceUri,
  normaliseResourceUri,
  parseSasToken,
  SasTokenFormatError,
  verifySasSignature,
} from './sas.js'

const require = createRequire(import.meta.url)
const common = require('azure-iot-common') as typeof import('azure-iot-common')
const device = require('azure-iot-device') as typeof import('azure-iot-device')
const iothub = require('azure-iothub') as typeof import('azure-iothub')

const newKey = (): string => randomBytes(32).toString('base64')

/** The token azure-iot-device puts in the MQTT password for a connection string. */
async function deviceSdkToken(connectionString: string): Promise<string> {
  const provider = device.SharedAccessKeyAuthenticationProvider.fromConnectionString(connectionString)
  try {
    const credentials = await provider.getDeviceCredentials()
    return credentials.sharedAccessSignature as string
  } finally {
    provider.stop() // clears the renewal timer
  }
}

/** The Authorization header azure-iothub's REST clients send (a fresh token per request). */
async function serviceSdkToken(connectionString: string): Promise<string> {
  const headers = new Map<string, string>()
  const credentials = new iothub.IoTHubTokenCredentials(connectionString)
  await credentials.signRequest({ headers } as never)
  return headers.get('authorization') as string
}

describe('encodeUriComponentStrict', () => {
  it("matches azure-iot-common's, including lowercase hex for !'()*", () => {
    for (const s of ["!'()*", 'a b/c:d;e=f&g?h#i', 'hub.azure-devices.net/devices/dev(1)*', 'ünïcödé €', '$edgeHub', '%41']) {
      assert.equal(encodeUriComponentStrict(s), common.encodeUriComponentStrict(s), s)
    }
    assert.equal(encodeUriComponentStrict("!'()*"), '%21%27%28%29%2a')
  })
})

describe('parseSasToken + verifySasSignature accept what the SDKs make', () => {
  it('a device token from a device connection string (sr URL-encoded, no skn)', async () => {
    const key = newKey()
    const token = await deviceSdkToken(`HostName=localhost;DeviceId=d1;SharedAccessKey=${key}`)
    assert.match(token, /^SharedAccessSignature sr=localhost%2Fdevices%2Fd1&sig=[^&]+&se=\d+$/)
    const t = parseSasToken(token)
    assert.equal(t.sr, 'localhost%2Fdevices%2Fd1')
    assert.equal(t.skn, undefined)
    const now = Math.floor(Date.now() / 1000)
    assert.ok(t.se >= now + 3599 && t.se <= now + 3600, 'the SDK makes one-hour tokens')
    assert.match(t.sig, /^[A-Za-z0-9+/]{43}=$/, 'sig is URL-decoded back to plain base64')
    assert.equal(verifySasSignature(t, key), true)
    assert.equal(normaliseResourceUri(t.sr), 'localhost/devices/d1')
  })

  it('a device token when HostName carries a port, and with GatewayHostName (sr keeps HostName)', async () => {
    const key = newKey()
    const withPort = parseSasToken(await deviceSdkToken(`HostName=localhost:18883;DeviceId=d1;SharedAccessKey=${key}`))
    assert.equal(withPort.sr, 'localhost%3A18883%2Fdevices%2Fd1')
    assert.equal(verifySasSignature(withPort, key), true)
    assert.equal(normaliseResourceUri(withPort.sr), 'localhost:18883/devices/d1')
    const gateway = parseSasToken(
      await deviceSdkToken(`HostName=myhub.azure-devices.net;GatewayHostName=localhost:18883;DeviceId=d1;SharedAccessKey=${key}`),
    )
    assert.equal(gateway.sr, 'myhub.azure-devices.net%2Fdevices%2Fd1')
    assert.equal(verifySasSignature(gateway, key), true)
  })

  it('a module token (sr ends in %2Fmodules%2F{m}), also for $edgeAgent', async () => {
    const key = newKey()
    for (const [moduleId, encoded] of [['m1', 'm1'], ['$edgeAgent', '%24edgeAgent']]) {
      const t = parseSasToken(await deviceSdkToken(`HostName=localhost;DeviceId=d1;ModuleId=${moduleId};SharedAccessKey=${key}`))
      assert.equal(t.sr, `localhost%2Fdevices%2Fd1%2Fmodules%2F${encoded}`)
      assert.equal(verifySasSignature(t, key), true)
      assert.equal(normaliseResourceUri(t.sr), `localhost/devices/d1/modules/${moduleId}`)
    }
  })

  it('a device token signed with a policy key (skn present, field order sr, sig, skn, se)', async () => {
    const key = newKey()
    const token = await deviceSdkToken(`HostName=localhost;DeviceId=d1;SharedAccessKeyName=device policy!;SharedAccessKey=${key}`)
    assert.match(token, /^SharedAccessSignature sr=localhost%2Fdevices%2Fd1&sig=[^&]+&skn=device%20policy%21&se=\d+$/)
    const t = parseSasToken(token)
    assert.equal(t.skn, 'device policy!')
    assert.equal(verifySasSignature(t, key), true)
  })

  it('a service token from azure-iothub (sr = host name, not encoded; skn = policy)', async () => {
    const key = newKey()
    const token = await serviceSdkToken(`HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${key}`)
    assert.match(token, /^SharedAccessSignature sr=localhost&sig=[^&]+&skn=iothubowner&se=\d+$/)
    const t = parseSasToken(token)
    assert.deepEqual([t.sr, t.skn], ['localhost', 'iothubowner'])
    assert.equal(verifySasSignature(t, key), true)
    assert.equal(normaliseResourceUri(t.sr), 'localhost')
    // azure-iothub's own SharedAccessSignature.create, as Registry and Client use it
    const created = iothub.SharedAccessSignature.create('myhub.example.com', 'service', key, common.anHourFromNow()).toString()
    const c = parseSasToken(created)
    assert.deepEqual([c.sr, c.skn, verifySasSignature(c, key)], ['myhub.example.com', 'service', true])
  })

  it('tokens from azure-iot-common SharedAccessSignature.create with any resource, raw or encoded', () => {
    const key = newKey()
    for (const sr of ['0ne00000000/registrations/reg1', 'localhost%2Fdevices%2Fd1', 'HUB.example.com']) {
      const t = parseSasToken(common.SharedAccessSignature.create(sr, 'registration', key, 1_900_000_000).toString())
      assert.deepEqual([t.sr, t.se, t.skn], [sr, 1_900_000_000, 'registration'])
      assert.equal(verifySasSignature(t, key), true, 'the HMAC runs over sr exactly as it appears in the token')
    }
  })
})

describe('verifySasSignature rejects', () => {
  it('a tampered signature, another key, a changed sr or se, an empty key, and a signature that is not base64', async () => {
    const key = newKey()
    const t = parseSasToken(await deviceSdkToken(`HostName=localhost;DeviceId=d1;SharedAccessKey=${key}`))
    const flipped = (t.sig[0] === 'A' ? 'B' : 'A') + t.sig.slice(1)
    assert.equal(verifySasSignature({ ...t, sig: flipped }, key), false)
    assert.equal(verifySasSignature(t, newKey()), false)
    assert.equal(verifySasSignature({ ...t, sr: 'localhost%2Fdevices%2Fd2' }, key), false)
    assert.equal(verifySasSignature({ ...t, sr: 'localhost/devices/d1' }, key), false, 'the decoded sr is a different string')
    assert.equal(verifySasSignature({ ...t, sr: 'LOCALHOST%2Fdevices%2Fd1' }, key), false, 'sr is never lowercased')
    assert.equal(verifySasSignature({ ...t, se: t.se + 1 }, key), false)
    assert.equal(verifySasSignature(t, ''), false)
    assert.equal(verifySasSignature({ ...t, sig: t.sig.slice(0, 20) }, key), false, 'a short signature is refused without throwing')
    assert.equal(verifySasSignature({ ...t, sig: '!!!!' }, key), false)
  })
})

describe('parseSasToken rejects malformed tokens with precise messages', () => {
  const cases: [string, string][] = [
    ['sr=a&sig=b&se=1', "SAS token must start with 'SharedAccessSignature '"],
    ['Bearer sr=a&sig=b&se=1', "SAS token must start with 'SharedAccessSignature '"],
    ['sharedaccesssignature sr=a&sig=b&se=1', "SAS token must start with 'SharedAccessSignature '"],
    ['SharedAccessSignature ', "SAS token field '' is not name=value"],
    ['SharedAccessSignature sr=a&sig&se=1', "SAS token field 'sig' is not name=value"],
    ['SharedAccessSignature sr=a&=b&se=1', "SAS token field '=b' is not name=value"],
    ['SharedAccessSignature sr=a&sr=b&sig=c&se=1', "SAS token field 'sr' appears twice"],
    ['SharedAccessSignature sig=b&se=1', "SAS token has no 'sr' (resource URI)"],
    ['SharedAccessSignature sr=&sig=b&se=1', "SAS token has no 'sr' (resource URI)"],
    ['SharedAccessSignature sr=a&se=1', "SAS token has no 'sig' (signature)"],
    ['SharedAccessSignature sr=a&sig=b', "SAS token has no 'se' (expiry)"],
    ['SharedAccessSignature sr=a&sig=b&se=soon', "SAS token expiry 'se=soon' is not a number of seconds"],
    ['SharedAccessSignature sr=a&sig=b&se=-1', "SAS token expiry 'se=-1' is not a number of seconds"],
    ['SharedAccessSignature sr=a&sig=b&se=1.5', "SAS token expiry 'se=1.5' is not a number of seconds"],
    ['SharedAccessSignature sr=a&sig=%E0%A4%A&se=1', 'SAS token signature is not URL-encoded correctly'],
  ]
  for (const [token, message] of cases) {
    it(`${token} → ${message}`, () => {
      assert.throws(() => parseSasToken(token), (err: unknown) => {
        assert.ok(err instanceof SasTokenFormatError)
        assert.equal(err.name, 'SasTokenFormatError')
        assert.equal(err.message, message)
        return true
      })
    })
  }

  it('a key name that is not URL-encoded correctly is a SasTokenFormatError too', () => {
    assert.throws(() => parseSasToken('SharedAccessSignature sr=a&sig=b&se=1&skn=%E0'), SasTokenFormatError)
  })

  it('ignores fields it does not know, as the SDK parser does', () => {
    assert.deepEqual(parseSasToken('SharedAccessSignature sr=a&sig=b%3D&se=7&foo=bar'), { sr: 'a', sig: 'b=', se: 7 })
  })
})

describe('createIdentitySasToken / createServiceSasToken are byte-identical to the SDK', () => {
  it('device, device behind a port, module and policy-signed device tokens', async () => {
    const key = newKey()
    const cases: [string, Parameters<typeof createIdentitySasToken>[0] extends infer P ? Omit<P & object, 'keyBase64' | 'expiresAt'> : never][] = [
      [`HostName=localhost;DeviceId=d1;SharedAccessKey=${key}`, { hostName: 'localhost', deviceId: 'd1' }],
      [`HostName=localhost:18883;DeviceId=d1;SharedAccessKey=${key}`, { hostName: 'localhost:18883', deviceId: 'd1' }],
      [`HostName=hub.example.com;DeviceId=dev(1)*;ModuleId=$edgeHub;SharedAccessKey=${key}`, { hostName: 'hub.example.com', deviceId: 'dev(1)*', moduleId: '$edgeHub' }],
      [`HostName=localhost;DeviceId=d1;SharedAccessKeyName=pol;SharedAccessKey=${key}`, { hostName: 'localhost', deviceId: 'd1', keyName: 'pol' }],
    ]
    for (const [connectionString, o] of cases) {
      const sdk = await deviceSdkToken(connectionString)
      const ours = createIdentitySasToken({ ...o, keyBase64: key, expiresAt: parseSasToken(sdk).se })
      assert.equal(ours, sdk, connectionString)
    }
  })

  it('service tokens', async () => {
    const key = newKey()
    const sdk = await serviceSdkToken(`HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${key}`)
    assert.equal(createServiceSasToken({ hostName: 'localhost', policyName: 'iothubowner', keyBase64: key, expiresAt: parseSasToken(sdk).se }), sdk)
    const direct = common.SharedAccessSignature.create('localhost', 'registryRead', key, 1_800_000_000).toString()
    assert.equal(createServiceSasToken({ hostName: 'localhost', policyName: 'registryRead', keyBase64: key, expiresAt: 1_800_000_000 }), direct)
  })

  it('createSasToken rounds a fractional expiry up like anHourFromNow, and matches SharedAccessSignature.create', () => {
    const key = newKey()
    const expiresAt = Date.now() / 1000 + 3600
    const ours = parseSasToken(createSasToken({ sr: 'x', keyBase64: key, expiresAt }))
    assert.equal(ours.se, Math.ceil(expiresAt))
    assert.equal(
      createSasToken({ sr: 'a%2Fb', keyBase64: key, expiresAt: 1_700_000_000, keyName: "k!'()*" }),
      common.SharedAccessSignature.create('a%2Fb', "k!'()*", key, 1_700_000_000).toString(),
    )
  })

  it('identityResourceUri is the unencoded resource', () => {
    assert.equal(identityResourceUri('h', 'd'), 'h/devices/d')
    assert.equal(identityResourceUri('h', 'd', 'm'), 'h/devices/d/modules/m')
  })
})

describe('normaliseResourceUri', () => {
  it('decodes, lowercases only the host, and drops a scheme and trailing slashes', () => {
    assert.equal(normaliseResourceUri('LOCALHOST%3A18883%2Fdevices%2FD1'), 'localhost:18883/devices/D1')
    assert.equal(normaliseResourceUri('https://Hub.Example.com/devices/d1/'), 'hub.example.com/devices/d1')
    assert.equal(normaliseResourceUri('Hub.Example.com'), 'hub.example.com')
    assert.equal(normaliseResourceUri('bad%E0/devices/d1'), 'bad%e0/devices/d1', 'undecodable text is used as it is')
  })
})
