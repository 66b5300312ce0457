import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import {
  ConnectionStringError,
  formatDeviceConnectionString,
  formatServiceConnectionString,
  parseConnectionString,
  parseDeviceConnectionString,
  parseServiceConnectionString,
} from './connection-string.js'

const require = createRequire(import.meta.url)
const common = require('azure-iot-common') as typeof import('azure-iot-common')

const KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=' // base64 with '=' padding: split at the first '=' only

describe('parseConnectionString', () => {
  it('splits on ; then at the first =, like azure-iot-common ConnectionString.parse', () => {
    const text = `HostName=myhub.azure-devices.net;DeviceId=d1;ModuleId=$edgeAgent;SharedAccessKey=${KEY};GatewayHostName=localhost:18883`
    const ours = Object.fromEntries(parseConnectionString(text))
    assert.deepEqual(ours, { ...common.ConnectionString.parse(text) })
    assert.equal(ours.SharedAccessKey, KEY)
  })

  it('skips empty parts (a trailing ;) and refuses a part without =', () => {
    assert.deepEqual([...parseConnectionString('HostName=h;;DeviceId=d;')], [['HostName', 'h'], ['DeviceId', 'd']])
    assert.throws(() => parseConnectionString('HostName=h;oops'), { name: 'ConnectionStringError', message: "connection string part 'oops' is not Key=Value" })
    assert.throws(() => parseConnectionString('=h'), ConnectionStringError)
  })
})

describe('parseDeviceConnectionString', () => {
  it('reads every field the SDK understands', () => {
    assert.deepEqual(
      parseDeviceConnectionString(`HostName=myhub;DeviceId=d1;ModuleId=m1;SharedAccessKeyName=pol;SharedAccessKey=${KEY};GatewayHostName=gw:8883`),
      { hostName: 'myhub', deviceId: 'd1', moduleId: 'm1', sharedAccessKeyName: 'pol', sharedAccessKey: KEY, gatewayHostName: 'gw:8883' },
    )
    const sas = 'SharedAccessSignature sr=myhub%2Fdevices%2Fd1&sig=abc%3D&se=1900000000'
    assert.deepEqual(parseDeviceConnectionString(`HostName=myhub;DeviceId=d1;SharedAccessSignature=${sas}`), {
      hostName: 'myhub',
      deviceId: 'd1',
      sharedAccessSignature: sas,
    })
    assert.deepEqual(parseDeviceConnectionString('HostName=myhub;DeviceId=d1;x509=True'), { hostName: 'myhub', deviceId: 'd1', x509: true })
  })

  it('names what is missing', () => {
    assert.throws(() => parseDeviceConnectionString(`DeviceId=d1;SharedAccessKey=${KEY}`), { message: 'device connection string has no HostName' })
    assert.throws(() => parseDeviceConnectionString(`HostName=h;SharedAccessKey=${KEY}`), { message: 'device connection string has no DeviceId' })
    assert.throws(() => parseDeviceConnectionString('HostName=h;DeviceId=d;x509=false'), {
      name: 'ConnectionStringError',
      message: 'device connection string needs SharedAccessKey, SharedAccessSignature or x509=true',
    })
  })

  it('round-trips through formatDeviceConnectionString, and the SDK reads what we format', () => {
    const c = { hostName: 'localhost', deviceId: 'd1', moduleId: 'm1', sharedAccessKey: KEY, gatewayHostName: 'localhost:18883' }
    const text = formatDeviceConnectionString(c)
    assert.equal(text, `HostName=localhost;DeviceId=d1;ModuleId=m1;SharedAccessKey=${KEY};GatewayHostName=localhost:18883`)
    assert.deepEqual(parseDeviceConnectionString(text), c)
    const sdk = common.ConnectionString.parse(text, ['HostName', 'DeviceId', 'SharedAccessKey'])
    assert.deepEqual([sdk.HostName, sdk.DeviceId, sdk.ModuleId, sdk.SharedAccessKey, sdk.GatewayHostName], [
      'localhost', 'd1', 'm1', KEY, 'localhost:18883',
    ])
    assert.equal(formatDeviceConnectionString({ hostName: 'h', deviceId: 'd', x509: true }), 'HostName=h;DeviceId=d;x509=true')
  })
})

describe('parseServiceConnectionString', () => {
  it('needs HostName, SharedAccessKeyName and SharedAccessKey, and round-trips', () => {
    const text = `HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`
    const c = parseServiceConnectionString(text)
    assert.deepEqual(c, { hostName: 'localhost', sharedAccessKeyName: 'iothubowner', sharedAccessKey: KEY })
    assert.equal(formatServiceConnectionString(c), text)
    assert.throws(() => parseServiceConnectionString(`SharedAccessKeyName=a;SharedAccessKey=${KEY}`), { message: 'service connection string has no HostName' })
    assert.throws(() => parseServiceConnectionString(`HostName=h;SharedAccessKey=${KEY}`), { message: 'service connection string has no SharedAccessKeyName' })
    assert.throws(() => parseServiceConnectionString('HostName=h;SharedAccessKeyName=a'), { message: 'service connection string has no SharedAccessKey' })
  })
})
