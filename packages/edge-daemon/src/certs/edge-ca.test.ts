import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@ledge/common'
import { createCertificateAuthority, describeCertificate, issueServerCertificate } from '@ledge/pki'
import { ConfigError } from '../errors.js'
import { EdgeCa, moduleIdDnsLabel } from './edge-ca.js'

const renew = { rotateKey: true, thresholdPercent: 80, retryPercent: 4 }

async function tempDir(t: import('node:test').TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-ca-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('a generated edge CA: made once, kept, key 0600, renewed once its threshold has passed', async (t) => {
  const dir = await tempDir(t)
  const o = { certsDir: dir, deviceId: 'edge1', configFile: 'c', log: silentLogger(), config: { expiryDays: 10, autoRenew: renew } }
  const a = await EdgeCa.open(o)
  const d = describeCertificate(a.certificate)
  assert.equal(d.subject, 'CN=Ledge Edge CA edge1')
  assert.equal(d.isCa, true)
  assert.ok(Math.abs(d.notAfter.getTime() - Date.now() - 10 * 86400_000) < 3600_000)
  assert.equal((await stat(join(dir, 'edge-ca.key.pem'))).mode & 0o777, 0o600)
  assert.equal((await EdgeCa.open(o)).certificate, a.certificate, 'reused')
  const nineDaysOn = await EdgeCa.open({ ...o, now: () => Date.now() + 9 * 86400_000 })
  assert.notEqual(nineDaysOn.certificate, a.certificate, 'renewed past 80%')
  const otherDevice = await EdgeCa.open({ ...o, deviceId: 'edge2' })
  assert.equal(describeCertificate(otherDevice.certificate).subject, 'CN=Ledge Edge CA edge2')
})

test('the trust bundle is the edge CA plus trust_bundle_cert', async (t) => {
  const dir = await tempDir(t)
  const extra = await createCertificateAuthority({ commonName: 'Upstream CA', validityDays: 5 })
  await writeFile(join(dir, 'bundle.pem'), extra.certificate)
  const ca = await EdgeCa.open({ certsDir: dir, deviceId: 'e', configFile: 'c', log: silentLogger(), config: { expiryDays: 5, autoRenew: renew }, trustBundleCertFile: join(dir, 'bundle.pem') })
  assert.equal(ca.trustBundle(), ca.certificate + extra.certificate)
  await writeFile(join(dir, 'bad.pem'), 'nothing')
  await assert.rejects(EdgeCa.open({ certsDir: dir, deviceId: 'e', configFile: 'c', log: silentLogger(), config: { expiryDays: 5, autoRenew: renew }, trustBundleCertFile: join(dir, 'bad.pem') }), ConfigError)
})

test('a user-supplied edge CA is used as given, and checked', async (t) => {
  const dir = await tempDir(t)
  const root = await createCertificateAuthority({ commonName: 'My Edge CA', validityDays: 5 })
  await writeFile(join(dir, 'ca.pem'), root.certificate)
  await writeFile(join(dir, 'ca.key'), root.privateKey)
  const ca = await EdgeCa.open({ certsDir: join(dir, 'certs'), deviceId: 'e', configFile: 'c', log: silentLogger(), config: { certFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca.key'), expiryDays: 90, autoRenew: renew } })
  assert.equal(ca.certificate, await readFile(join(dir, 'ca.pem'), 'utf8'))
  const cert = await ca.issueServerCertificate('$edgeHub', 'edge.local')
  assert.deepEqual(describeCertificate(cert.certificate).dnsNames.sort(), ['edge.local', 'edgehub'])
  assert.equal(describeCertificate(cert.certificate).issuer, 'CN=My Edge CA')

  const leaf = await issueServerCertificate(root, { commonName: 'x', dnsNames: ['x'], ipAddresses: [], validityDays: 1 })
  await writeFile(join(dir, 'leaf.pem'), leaf.certificate)
  await writeFile(join(dir, 'leaf.key'), leaf.privateKey)
  await assert.rejects(
    EdgeCa.open({ certsDir: dir, deviceId: 'e', configFile: 'c', log: silentLogger(), config: { certFile: join(dir, 'leaf.pem'), keyFile: join(dir, 'ca.key'), expiryDays: 90, autoRenew: renew } }),
    (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.includes('not a CA')) && err.problems.some((p) => p.includes('not the private key')),
  )
})

test('leaf certificates: requested expiry honoured, capped, checked', async (t) => {
  const dir = await tempDir(t)
  const ca = await EdgeCa.open({ certsDir: dir, deviceId: 'e', configFile: 'c', log: silentLogger(), config: { expiryDays: 30, autoRenew: renew } })
  const inTwoDays = new Date(Date.now() + 2 * 86400_000).toISOString()
  const c = await ca.issueServerCertificate('m', 'e.local', inTwoDays)
  assert.ok(Math.abs(Date.parse(c.expiration) - Date.parse(inTwoDays)) < 60_000)
  const long = await ca.issueIdentityCertificate('m', new Date(Date.now() + 900 * 86400_000).toISOString())
  assert.ok(Date.parse(long.expiration) <= ca.notAfter.getTime(), 'never past the edge CA')
  await assert.rejects(ca.issueServerCertificate('m', 'e.local', 'soon'), /not an ISO 8601 time/)
  await assert.rejects(ca.issueServerCertificate('m', 'e.local', '2001-01-01T00:00:00Z'), /in the past/)
  await assert.rejects(ca.issueServerCertificate('m', 'bad_name!'), (err: unknown) => (err as { kind?: string }).kind === 'invalid')
})

test('module ids as DNS labels', () => {
  assert.equal(moduleIdDnsLabel('$edgeHub'), 'edgehub')
  assert.equal(moduleIdDnsLabel('Temp_Sensor.1'), 'tempsensor1')
  assert.equal(moduleIdDnsLabel('123abc-'), 'abc')
  assert.equal(moduleIdDnsLabel('$$'), undefined)
})
