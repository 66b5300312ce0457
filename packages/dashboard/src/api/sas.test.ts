import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServiceSasToken as protocolToken, parseSasToken, verifySasSignature } from '@ledge/protocol'
import { createServiceSasToken, inspectSasToken, LoginError, parseServiceConnectionString } from './sas.js'

const key = Buffer.from('a key of thirty-two bytes, exactly!').toString('base64')

test('the WebCrypto token is byte for byte the one @ledge/protocol makes', async () => {
  for (const policyName of ['iothubowner', "odd name!'()*"]) {
    const login = { hostName: 'hub.example.net', policyName, key }
    const expiresAt = 1_900_000_000.4
    const mine = await createServiceSasToken(login, expiresAt)
    assert.equal(mine, protocolToken({ hostName: login.hostName, policyName, keyBase64: key, expiresAt }))
    assert.ok(verifySasSignature(parseSasToken(mine), key))
  }
})

test('connection strings: service ones parse, device ones and broken ones say what is wrong', () => {
  assert.deepEqual(parseServiceConnectionString(` HostName=h;SharedAccessKeyName=service;SharedAccessKey=${key}; `), { hostName: 'h', policyName: 'service', key })
  assert.throws(() => parseServiceConnectionString(`HostName=h;DeviceId=d;SharedAccessKey=${key}`), /device connection string/)
  assert.throws(() => parseServiceConnectionString('HostName=h;SharedAccessKey=abcd'), /no SharedAccessKeyName/)
  assert.throws(() => parseServiceConnectionString('HostName=h;SharedAccessKeyName=s;SharedAccessKey=not base64!'), LoginError)
  assert.throws(() => parseServiceConnectionString('hello'), /not Name=value/)
})

test('a ready-made token tells its host, policy and expiry', async () => {
  const token = await createServiceSasToken({ hostName: '127.0.0.5', policyName: 'iothubowner', key }, 2_000_000_000)
  assert.deepEqual(inspectSasToken(token), { hostName: '127.0.0.5', policyName: 'iothubowner', expiresAt: 2_000_000_000 })
  assert.throws(() => inspectSasToken('sr=x&sig=y&se=1'), /starts with/)
  assert.throws(() => inspectSasToken('SharedAccessSignature sr=x&se=1'), /lacks/)
})
