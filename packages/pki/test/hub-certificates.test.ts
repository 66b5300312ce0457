import assert from 'node:assert/strict'
import { createPrivateKey } from 'node:crypto'
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  createCertificateAuthority,
  describeCertificate,
  ensureHubCertificates,
  issueCertificateAuthority,
  issueServerCertificate,
  type HubCertificateOptions,
} from '../src/index.js'
import { handshake, openssl, startTlsServer, tempDir } from './helpers.js'

const mode = async (file: string): Promise<string> => ((await stat(file)).mode & 0o777).toString(8)
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const thumbprint = (pem: string): string => describeCertificate(pem).thumbprintSha256

describe('ensureHubCertificates: generated CA', () => {
  it('creates the CA and server files with their modes on first start, and they work for TLS and openssl', async () => {
    await using dir = await tempDir()
    const certDir = join(dir.path, 'certs')
    const r = await ensureHubCertificates({ dir: certDir, hostNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
    assert.deepEqual([r.ca, r.server, r.generated, r.reason, r.warnings], ['generated', 'generated', true, 'there was no server certificate yet', []])
    assert.equal(r.caFile, join(certDir, 'ca.pem'))
    assert.equal(r.serverCertFile, join(certDir, 'server.pem'))
    assert.equal(r.serverKeyFile, join(certDir, 'server.key.pem'))
    assert.equal(await mode(certDir), '700')
    assert.equal(await mode(join(certDir, 'ca.pem')), '644')
    assert.equal(await mode(join(certDir, 'ca.key.pem')), '600')
    assert.equal(await mode(join(certDir, 'server.pem')), '644')
    assert.equal(await mode(join(certDir, 'server.key.pem')), '600')
    assert.equal(await readFile(r.caFile, 'utf8'), r.caPem)
    assert.equal(await readFile(r.serverCertFile, 'utf8'), r.serverCertPem)
    assert.equal(await readFile(r.serverKeyFile, 'utf8'), r.serverKeyPem)
    assert.ok(r.serverCertPem.endsWith(r.caPem), 'server.pem is the chain: leaf, then the CA')

    const ca = describeCertificate(r.caPem)
    assert.deepEqual([ca.subject, ca.isCa], ['CN=Ledge Hub CA', true])
    assert.ok(ca.notAfter.getTime() - Date.now() > 3649 * 86_400_000, 'ten years by default')
    const leaf = describeCertificate(r.serverCertPem)
    assert.deepEqual([leaf.subject, leaf.dnsNames, leaf.ipAddresses], ['CN=localhost', ['localhost'], ['127.0.0.1']])
    assert.ok(leaf.notAfter.getTime() - Date.now() > 364 * 86_400_000, 'a year by default')

    const verify = openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', r.caFile, r.serverCertFile)
    assert.equal(verify.status, 0, verify.stderr)
    assert.match(openssl('x509', '-in', r.serverCertFile, '-noout', '-ext', 'subjectAltName').stdout, /DNS:localhost, IP Address:127.0.0.1/)

    await using s = await startTlsServer({ key: r.serverKeyPem, cert: r.serverCertPem })
    assert.equal((await handshake(s, { ca: r.caPem, servername: 'localhost' })).authorized, true)
    assert.equal((await handshake(s, { ca: r.caPem })).authorized, true)
  })

  it('reuses the files on later starts, also for a subset of the names', async () => {
    await using dir = await tempDir()
    const o = { dir: dir.path, hostNames: ['localhost', 'hub.test'], ipAddresses: ['127.0.0.1'] }
    const first = await ensureHubCertificates(o)
    const before = await readFile(join(dir.path, 'server.pem'), 'utf8')
    for (const again of [o, { ...o, hostNames: ['HUB.test'], ipAddresses: [] }]) {
      const r = await ensureHubCertificates(again)
      assert.deepEqual([r.ca, r.server, r.generated, r.reason], ['existing', 'existing', false, undefined])
      assert.equal(r.caPem, first.caPem)
      assert.equal(r.serverCertPem, first.serverCertPem)
      assert.equal(r.serverKeyPem, first.serverKeyPem)
    }
    assert.equal(await readFile(join(dir.path, 'server.pem'), 'utf8'), before)
  })

  it('re-issues the server certificate from the same CA for a new host name or IP', async () => {
    await using dir = await tempDir()
    const first = await ensureHubCertificates({ dir: dir.path, hostNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
    const renamed = await ensureHubCertificates({ dir: dir.path, hostNames: ['hub2.test', 'localhost'], ipAddresses: ['127.0.0.1'] })
    assert.deepEqual([renamed.ca, renamed.server, renamed.generated], ['existing', 'reissued', true])
    assert.equal(renamed.reason, "the server certificate does not cover host name(s) 'hub2.test'")
    assert.equal(renamed.caPem, first.caPem)
    assert.notEqual(thumbprint(renamed.serverCertPem), thumbprint(first.serverCertPem))
    assert.notEqual(renamed.serverKeyPem, first.serverKeyPem)
    assert.deepEqual(describeCertificate(renamed.serverCertPem).dnsNames, ['hub2.test', 'localhost'])

    const moved = await ensureHubCertificates({ dir: dir.path, hostNames: ['hub2.test'], ipAddresses: ['10.0.0.7', '::1'] })
    assert.equal(moved.reason, "the server certificate does not cover IP address(es) '10.0.0.7', '::1'")

    await using s = await startTlsServer({ key: renamed.serverKeyPem, cert: renamed.serverCertPem })
    assert.equal((await handshake(s, { ca: first.caPem, servername: 'hub2.test' })).authorized, true, 'old clients keep trusting the CA')
  })

  it('re-issues a server certificate that expires within 30 days', async () => {
    await using dir = await tempDir()
    const short = await ensureHubCertificates({ dir: dir.path, hostNames: ['localhost'], ipAddresses: [], serverValidityDays: 10 })
    const r = await ensureHubCertificates({ dir: dir.path, hostNames: ['localhost'], ipAddresses: [] })
    assert.equal(r.server, 'reissued')
    assert.match(r.reason ?? '', /^the server certificate expires on \d{4}-\d\d-\d\dT.*Z, within 30 days$/)
    assert.notEqual(thumbprint(r.serverCertPem), thumbprint(short.serverCertPem))
    assert.equal((await ensureHubCertificates({ dir: dir.path, hostNames: ['localhost'], ipAddresses: [] })).server, 'existing')
  })

  it('re-issues when its own server files are damaged or half missing', async () => {
    await using dir = await tempDir()
    const o = { dir: dir.path, hostNames: ['localhost'], ipAddresses: [] }
    await ensureHubCertificates(o)
    await writeFile(join(dir.path, 'server.pem'), 'garbage')
    const r1 = await ensureHubCertificates(o)
    assert.equal(r1.server, 'reissued')
    assert.equal(
      r1.reason,
      `the existing server certificate could not be used: server certificate file '${join(dir.path, 'server.pem')}' is not PEM: expected a '-----BEGIN CERTIFICATE-----' block`,
    )
    await rm(join(dir.path, 'server.key.pem'))
    const r2 = await ensureHubCertificates(o)
    assert.equal(r2.server, 'reissued')
    assert.match(r2.reason ?? '', /server private key file '.*server\.key\.pem' does not exist$/)
    const other = await createCertificateAuthority({ commonName: 'x', validityDays: 1 })
    await writeFile(join(dir.path, 'server.key.pem'), other.privateKey)
    assert.match((await ensureHubCertificates(o)).reason ?? '', /server private key file '.*' does not match server certificate file/)
  })

  it('never replaces the CA silently: a missing key or a damaged CA file is an error naming the file', async () => {
    await using dir = await tempDir()
    const o = { dir: dir.path, hostNames: ['localhost'], ipAddresses: [] }
    const first = await ensureHubCertificates(o)
    const keyFile = join(dir.path, 'ca.key.pem')
    const key = await readFile(keyFile, 'utf8')
    await rm(keyFile)
    await assert.rejects(ensureHubCertificates(o), {
      code: 'ERR_PKI_CA_INCOMPLETE',
      message: `CA certificate file '${first.caFile}' exists but CA private key file '${keyFile}' does not: restore it, or delete both to create a new CA (clients must then trust the new CA)`,
    })
    await writeFile(keyFile, key)
    await writeFile(first.caFile, 'not a certificate')
    await assert.rejects(ensureHubCertificates(o), {
      code: 'ERR_PKI_NOT_PEM',
      message: `CA certificate file '${first.caFile}' is not PEM: expected a '-----BEGIN CERTIFICATE-----' block`,
    })
  })

  it('warns about a private key file others can read', async () => {
    await using dir = await tempDir()
    const o = { dir: dir.path, hostNames: ['localhost'], ipAddresses: [] }
    await ensureHubCertificates(o)
    await chmod(join(dir.path, 'server.key.pem'), 0o644)
    const r = await ensureHubCertificates(o)
    assert.deepEqual(r.warnings, [`server private key file '${join(dir.path, 'server.key.pem')}' has mode 0644; a private key should be 0600`])
  })

  it('refuses bad options', async () => {
    await using dir = await tempDir()
    await assert.rejects(ensureHubCertificates({ dir: dir.path, hostNames: ['localhost:8883'], ipAddresses: [] }), {
      code: 'ERR_PKI_INVALID_OPTION',
      message: /^host name 'localhost:8883' has a port/,
    })
    await assert.rejects(ensureHubCertificates({ dir: dir.path, hostNames: [], ipAddresses: [] }), {
      message: 'a server certificate needs at least one host name or IP address',
    })
    await assert.rejects(
      ensureHubCertificates({ dir: dir.path, hostNames: ['h'], ipAddresses: [], userCa: { certFile: 'a', keyFile: 'b' }, userServer: { certFile: 'a', keyFile: 'b' } }),
      { message: 'give userCa or userServer, not both' },
    )
  })
})

describe('ensureHubCertificates: user CA', () => {
  async function userCaFiles(dir: { write(n: string, t: string): Promise<string> }, keyType: 'ec-p256' | 'rsa-2048' = 'ec-p256') {
    const ca = await createCertificateAuthority({ commonName: 'Corp CA', validityDays: 60, keyType })
    return { ca, certFile: await dir.write('corp-ca.pem', ca.certificate), keyFile: await dir.write('corp-ca.key.pem', ca.privateKey) }
  }

  it('issues the server certificate from the user CA, and re-issues when switching from the generated CA', async () => {
    await using dir = await tempDir()
    const certDir = join(dir.path, 'certs')
    const generated = await ensureHubCertificates({ dir: certDir, hostNames: ['localhost'], ipAddresses: [] })
    const user = await userCaFiles(dir)
    const o: HubCertificateOptions = { dir: certDir, hostNames: ['localhost'], ipAddresses: [], userCa: { certFile: user.certFile, keyFile: user.keyFile } }
    const r = await ensureHubCertificates(o)
    assert.deepEqual([r.ca, r.server], ['user', 'reissued'])
    assert.equal(r.reason, "the server certificate was not issued by the CA in use ('CN=Corp CA')")
    assert.equal(r.caFile, user.certFile)
    assert.equal(r.caPem, user.ca.certificate)
    assert.notEqual(r.caPem, generated.caPem)
    assert.equal(openssl('verify', '-x509_strict', '-CAfile', user.certFile, r.serverCertFile).status, 0)
    await using s = await startTlsServer({ key: r.serverKeyPem, cert: r.serverCertPem })
    assert.equal((await handshake(s, { ca: r.caPem, servername: 'localhost' })).authorized, true)
    assert.equal((await ensureHubCertificates(o)).server, 'existing')
  })

  it('accepts the key in PKCS#1 (RSA) and SEC1 (EC) PEM as well as PKCS#8', async () => {
    await using dir = await tempDir()
    for (const [keyType, type] of [['rsa-2048', 'pkcs1'], ['ec-p256', 'sec1']] as const) {
      const user = await userCaFiles(dir, keyType)
      const legacy = createPrivateKey(user.ca.privateKey).export({ type, format: 'pem' }) as string
      assert.match(legacy, keyType === 'rsa-2048' ? /BEGIN RSA PRIVATE KEY/ : /BEGIN EC PRIVATE KEY/)
      const keyFile = await dir.write(`legacy-${type}.pem`, legacy)
      const r = await ensureHubCertificates({ dir: join(dir.path, type), hostNames: ['h'], ipAddresses: [], userCa: { certFile: user.certFile, keyFile } })
      assert.equal(openssl('verify', '-x509_strict', '-CAfile', user.certFile, r.serverCertFile).status, 0)
    }
  })

  it('fails with errors that name the file and the problem', async () => {
    await using dir = await tempDir()
    const user = await userCaFiles(dir)
    const run = (certFile: string, keyFile: string) =>
      ensureHubCertificates({ dir: join(dir.path, 'certs'), hostNames: ['h'], ipAddresses: [], userCa: { certFile, keyFile } })
    const missing = join(dir.path, 'missing.pem')
    await assert.rejects(run(missing, user.keyFile), {
      code: 'ERR_PKI_FILE_MISSING',
      message: `CA certificate file '${missing}' does not exist`,
    })
    await assert.rejects(run(user.certFile, missing), { message: `CA private key file '${missing}' does not exist` })
    const junk = await dir.write('junk.pem', 'hello\n')
    await assert.rejects(run(junk, user.keyFile), {
      code: 'ERR_PKI_NOT_PEM',
      message: `CA certificate file '${junk}' is not PEM: expected a '-----BEGIN CERTIFICATE-----' block`,
    })
    await assert.rejects(run(user.certFile, junk), { message: `CA private key file '${junk}' is not PEM: expected a '-----BEGIN PRIVATE KEY-----' block` })
    const otherKey = await dir.write('other.key.pem', (await createCertificateAuthority({ commonName: 'o', validityDays: 1 })).privateKey)
    await assert.rejects(run(user.certFile, otherKey), {
      code: 'ERR_PKI_KEY_MISMATCH',
      message: `CA private key file '${otherKey}' does not match CA certificate file '${user.certFile}': the private key is not the one of the certificate`,
    })
    const rsaKey = await dir.write('rsa.key.pem', (await createCertificateAuthority({ commonName: 'r', validityDays: 1, keyType: 'rsa-2048' })).privateKey)
    await assert.rejects(run(user.certFile, rsaKey), { code: 'ERR_PKI_KEY_MISMATCH' })
    const leaf = await issueServerCertificate(user.ca, { commonName: 'leaf', dnsNames: ['leaf'], ipAddresses: [], validityDays: 1 })
    const leafCert = await dir.write('leaf.pem', leaf.certificate)
    const leafKey = await dir.write('leaf.key.pem', leaf.privateKey)
    await assert.rejects(run(leafCert, leafKey), {
      code: 'ERR_PKI_NOT_CA',
      message: `CA certificate file '${leafCert}' is not a CA certificate: its basic constraints do not say CA:TRUE (subject 'CN=leaf')`,
    })
    const expired = await createCertificateAuthority({ commonName: 'old', validityDays: 1e-9 })
    const expiredCert = await dir.write('expired.pem', expired.certificate)
    const expiredKey = await dir.write('expired.key.pem', expired.privateKey)
    await assert.rejects(run(expiredCert, expiredKey), { code: 'ERR_PKI_CERTIFICATE_EXPIRED', message: new RegExp(`^CA certificate file '${escape(expiredCert)}' expired on `) })
    const encrypted = createPrivateKey(user.ca.privateKey).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string
    const encryptedKey = await dir.write('encrypted.key.pem', encrypted)
    await assert.rejects(run(user.certFile, encryptedKey), {
      code: 'ERR_PKI_KEY_INVALID',
      message: `CA private key file '${encryptedKey}' is encrypted: give an unencrypted key and protect the file with mode 0600 instead`,
    })
  })
})

describe('ensureHubCertificates: user server certificate', () => {
  it('uses the files as they are, checks them against caFile, and warns about names they do not cover', async () => {
    await using dir = await tempDir()
    const ca = await createCertificateAuthority({ commonName: 'Corp CA', validityDays: 60 })
    const leaf = await issueServerCertificate(ca, { commonName: 'hub.corp', dnsNames: ['hub.corp'], ipAddresses: [], validityDays: 20 })
    const certFile = await dir.write('hub.pem', leaf.chain)
    const keyFile = await dir.write('hub.key.pem', leaf.privateKey)
    await chmod(keyFile, 0o600)
    const caFile = await dir.write('corp-ca.pem', ca.certificate)
    const certDir = join(dir.path, 'certs')
    const r = await ensureHubCertificates({ dir: certDir, hostNames: ['hub.corp', 'localhost'], ipAddresses: [], userServer: { certFile, keyFile, caFile } })
    assert.deepEqual([r.ca, r.server, r.generated], ['user', 'user', false])
    assert.deepEqual([r.caFile, r.caPem, r.serverCertFile, r.serverCertPem, r.serverKeyPem], [caFile, ca.certificate, certFile, leaf.chain, leaf.privateKey])
    assert.deepEqual(r.warnings, [
      `server certificate file '${certFile}' expires on ${describeCertificate(leaf.certificate).notAfter.toISOString()}: replace it soon`,
      `server certificate file '${certFile}' does not cover host name(s) 'localhost': clients dialling those will reject it`,
    ])
    await assert.rejects(stat(certDir), { code: 'ENOENT' }, 'nothing is written')

    const noCa = await ensureHubCertificates({ dir: certDir, hostNames: ['hub.corp'], ipAddresses: [], userServer: { certFile, keyFile } })
    assert.deepEqual([noCa.caFile, noCa.caPem], [certFile, leaf.chain])
  })

  it('refuses a certificate not issued by caFile, a mismatched key and an expired certificate', async () => {
    await using dir = await tempDir()
    const ca = await createCertificateAuthority({ commonName: 'Corp CA', validityDays: 60 })
    const other = await createCertificateAuthority({ commonName: 'Corp CA', validityDays: 60 })
    const leaf = await issueServerCertificate(ca, { commonName: 'h', dnsNames: ['h'], ipAddresses: [], validityDays: 50 })
    const certFile = await dir.write('hub.pem', leaf.certificate)
    const keyFile = await dir.write('hub.key.pem', leaf.privateKey)
    const otherCaFile = await dir.write('other-ca.pem', other.certificate)
    const o = { dir: dir.path, hostNames: ['h'], ipAddresses: [] }
    await assert.rejects(ensureHubCertificates({ ...o, userServer: { certFile, keyFile, caFile: otherCaFile } }), {
      code: 'ERR_PKI_CHAIN_UNTRUSTED',
      message: `server certificate file '${certFile}' is not issued by any certificate in CA certificate file '${otherCaFile}'`,
    })
    const wrongKey = await dir.write('wrong.key.pem', other.privateKey)
    await assert.rejects(ensureHubCertificates({ ...o, userServer: { certFile, keyFile: wrongKey } }), {
      code: 'ERR_PKI_KEY_MISMATCH',
      message: `server private key file '${wrongKey}' does not match server certificate file '${certFile}': the private key is not the one of the certificate`,
    })
    const old = await issueServerCertificate(ca, { commonName: 'h', dnsNames: ['h'], ipAddresses: [], validityDays: 1e-9 })
    const oldFile = await dir.write('old.pem', old.certificate)
    const oldKey = await dir.write('old.key.pem', old.privateKey)
    await assert.rejects(ensureHubCertificates({ ...o, userServer: { certFile: oldFile, keyFile: oldKey } }), {
      code: 'ERR_PKI_CERTIFICATE_EXPIRED',
      message: new RegExp(`^server certificate file '${escape(oldFile)}' expired on `),
    })
  })

  it('accepts a chain through an intermediate when caFile holds the root', async () => {
    await using dir = await tempDir()
    const root = await createCertificateAuthority({ commonName: 'Root', validityDays: 60 })
    const inter = await issueCertificateAuthority(root, { commonName: 'Inter', validityDays: 50 })
    const leaf = await issueServerCertificate({ certificate: inter.chain, privateKey: inter.privateKey }, {
      commonName: 'h',
      dnsNames: ['h'],
      ipAddresses: [],
      validityDays: 40,
    })
    const certFile = await dir.write('hub.pem', leaf.certificate + inter.certificate) // leaf + intermediate, no root
    const keyFile = await dir.write('hub.key.pem', leaf.privateKey)
    const caFile = await dir.write('root.pem', root.certificate)
    const r = await ensureHubCertificates({ dir: dir.path, hostNames: ['h'], ipAddresses: [], userServer: { certFile, keyFile, caFile } })
    await using s = await startTlsServer({ key: r.serverKeyPem, cert: r.serverCertPem })
    assert.equal((await handshake(s, { ca: r.caPem, servername: 'h' })).authorized, true)
  })
})
