import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { describe, it, before } from 'node:test'
import {
  createCertificateAuthority,
  describeCertificate,
  issueCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  type KeyPairPem,
} from '../src/index.js'
import { openssl, tempDir } from './helpers.js'

describe('createCertificateAuthority', () => {
  it('makes a self-signed P-256 CA with CA:TRUE critical, keyCertSign and cRLSign, and key identifiers', async () => {
    const ca = await createCertificateAuthority({ commonName: 'Ledge Test CA', validityDays: 30 })
    assert.match(ca.certificate, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/)
    assert.match(ca.privateKey, /^-----BEGIN PRIVATE KEY-----\n/)
    const d = describeCertificate(ca.certificate)
    assert.equal(d.subject, 'CN=Ledge Test CA')
    assert.equal(d.issuer, 'CN=Ledge Test CA')
    assert.equal(d.isCa, true)
    assert.deepEqual(d.dnsNames, [])
    const days = (d.notAfter.getTime() - Date.now()) / 86_400_000
    assert.ok(days > 29.9 && days <= 30, `about 30 days of validity, got ${days}`)
    assert.ok(d.notBefore.getTime() < Date.now(), 'backdated a little for clients with a slow clock')

    await using dir = await tempDir()
    const file = await dir.write('ca.pem', ca.certificate)
    const text = openssl('x509', '-in', file, '-noout', '-text').stdout
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE\n/)
    assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/)
    assert.match(text, /X509v3 Subject Key Identifier/)
    assert.match(text, /Public-Key: \(256 bit\)[\s\S]*NIST CURVE: P-256/)
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/)
    assert.equal(openssl('verify', '-x509_strict', '-CAfile', file, file).status, 0)
  })

  it('makes an RSA-2048 CA with a path length on request', async () => {
    const ca = await createCertificateAuthority({ commonName: 'RSA CA', validityDays: 30, keyType: 'rsa-2048', pathLength: 0 })
    await using dir = await tempDir()
    const text = openssl('x509', '-in', await dir.write('ca.pem', ca.certificate), '-noout', '-text').stdout
    assert.match(text, /CA:TRUE, pathlen:0/)
    assert.match(text, /Public-Key: \(2048 bit\)/)
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/)
  })

  it('refuses bad options with a message naming the option', async () => {
    await assert.rejects(createCertificateAuthority({ commonName: '', validityDays: 1 }), {
      code: 'ERR_PKI_INVALID_OPTION',
      message: 'commonName must be a non-empty string',
    })
    await assert.rejects(createCertificateAuthority({ commonName: 'x', validityDays: 0 }), {
      code: 'ERR_PKI_INVALID_OPTION',
      message: 'validityDays must be a positive number of days, got 0',
    })
    await assert.rejects(createCertificateAuthority({ commonName: 'x', validityDays: 1, keyType: 'dsa' as never }), {
      message: "keyType must be one of ec-p256, rsa-2048, got 'dsa'",
    })
    await assert.rejects(createCertificateAuthority({ commonName: 'x', validityDays: 1, pathLength: -1 }), {
      message: 'pathLength must be a whole number of 0 or more, got -1',
    })
    await assert.rejects(createCertificateAuthority({ commonName: 'x'.repeat(65), validityDays: 1 }), { message: /longer than 64 characters/ })
  })
})

describe('issueServerCertificate', () => {
  let ca: KeyPairPem
  before(async () => {
    ca = await createCertificateAuthority({ commonName: 'Ledge Test CA', validityDays: 30 })
  })

  it('issues a leaf that openssl verifies against the CA, with serverAuth, SANs and key identifiers', async () => {
    const server = await issueServerCertificate(ca, {
      commonName: 'localhost',
      dnsNames: ['localhost', 'Hub.Example.com'],
      ipAddresses: ['127.0.0.1', '::1'],
      validityDays: 10,
    })
    assert.equal(server.chain, server.certificate + ca.certificate)
    const d = describeCertificate(server.chain) // the first certificate of a bundle is described
    assert.equal(d.subject, 'CN=localhost')
    assert.equal(d.issuer, 'CN=Ledge Test CA')
    assert.equal(d.isCa, false)
    assert.deepEqual(d.dnsNames, ['localhost', 'hub.example.com'])
    assert.deepEqual(d.ipAddresses, ['127.0.0.1', '::1'])

    await using dir = await tempDir()
    const caFile = await dir.write('ca.pem', ca.certificate)
    const leafFile = await dir.write('server.pem', server.chain)
    const verify = openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', caFile, leafFile)
    assert.equal(verify.status, 0, verify.stderr)
    assert.equal(verify.stdout.trim(), `${leafFile}: OK`)
    const text = openssl('x509', '-in', leafFile, '-noout', '-text').stdout
    assert.match(text, /X509v3 Subject Alternative Name: \s*\n\s+DNS:localhost, DNS:hub.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1\n/)
    assert.match(text, /X509v3 Extended Key Usage: \s*\n\s+TLS Web Server Authentication\n/)
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/)
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/)
    assert.match(text, /X509v3 Subject Key Identifier/)
    // The AKI is the CA's SKI.
    const caText = openssl('x509', '-in', caFile, '-noout', '-ext', 'subjectKeyIdentifier').stdout
    const ski = /\n\s+([0-9A-F:]+)\s*$/.exec(caText)?.[1]
    assert.ok(ski)
    assert.match(openssl('x509', '-in', leafFile, '-noout', '-ext', 'authorityKeyIdentifier').stdout, new RegExp(ski))
    // The key is the certificate's, for openssl too.
    const keyFile = await dir.write('server.key.pem', server.privateKey)
    assert.equal(openssl('pkey', '-in', keyFile, '-pubout').stdout, openssl('x509', '-in', leafFile, '-noout', '-pubkey').stdout)
  })

  it('adds keyEncipherment for an RSA leaf, and an EC CA signs an RSA leaf (and the reverse)', async () => {
    const rsaCa = await createCertificateAuthority({ commonName: 'RSA CA', validityDays: 30, keyType: 'rsa-2048' })
    await using dir = await tempDir()
    for (const [issuer, keyType] of [[ca, 'rsa-2048'], [rsaCa, 'ec-p256']] as const) {
      const leaf = await issueServerCertificate(issuer, { commonName: 'h', dnsNames: ['h'], ipAddresses: [], validityDays: 1, keyType })
      const caFile = await dir.write('ca.pem', issuer.certificate)
      const leafFile = await dir.write('leaf.pem', leaf.certificate)
      assert.equal(openssl('verify', '-x509_strict', '-CAfile', caFile, leafFile).status, 0)
      const text = openssl('x509', '-in', leafFile, '-noout', '-text').stdout
      if (keyType === 'rsa-2048') assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment\n/)
      else assert.match(text, /Key Usage: critical\s+Digital Signature\n/)
    }
  })

  it('treats a host name that is an IP as an IP SAN and de-duplicates', async () => {
    const leaf = await issueServerCertificate(ca, {
      commonName: 'hub',
      dnsNames: ['hub', 'HUB', '10.1.2.3', '[::1]'],
      ipAddresses: ['10.1.2.3'],
      validityDays: 1,
    })
    const d = describeCertificate(leaf.certificate)
    assert.deepEqual(d.dnsNames, ['hub'])
    assert.deepEqual(d.ipAddresses, ['10.1.2.3', '::1'])
  })

  it('does not outlive its CA', async () => {
    const leaf = await issueServerCertificate(ca, { commonName: 'h', dnsNames: ['h'], ipAddresses: [], validityDays: 400 })
    assert.equal(describeCertificate(leaf.certificate).notAfter.getTime(), describeCertificate(ca.certificate).notAfter.getTime())
  })

  it('refuses bad names and issuers with clear errors', async () => {
    const base = { commonName: 'h', dnsNames: ['h'], ipAddresses: [] as string[], validityDays: 1 }
    await assert.rejects(issueServerCertificate(ca, { ...base, dnsNames: ['localhost:8883'] }), {
      code: 'ERR_PKI_INVALID_OPTION',
      message: "host name 'localhost:8883' has a port: give the name only (the certificate does not depend on the port)",
    })
    await assert.rejects(issueServerCertificate(ca, { ...base, dnsNames: ['bad_name'] }), { message: "host name 'bad_name' is not a valid DNS name" })
    await assert.rejects(issueServerCertificate(ca, { ...base, ipAddresses: ['300.1.1.1'] }), { message: "'300.1.1.1' is not an IP address" })
    await assert.rejects(issueServerCertificate(ca, { ...base, dnsNames: [] }), {
      message: 'a server certificate needs at least one host name or IP address',
    })
    const leaf = await issueServerCertificate(ca, base)
    await assert.rejects(issueServerCertificate(leaf, base), {
      code: 'ERR_PKI_NOT_CA',
      message: "CA certificate is not a CA certificate: its basic constraints do not say CA:TRUE (subject 'CN=h')",
    })
    const other = await createCertificateAuthority({ commonName: 'Other', validityDays: 1 })
    await assert.rejects(issueServerCertificate({ certificate: ca.certificate, privateKey: other.privateKey }, base), {
      code: 'ERR_PKI_KEY_MISMATCH',
      message: 'CA private key does not match CA certificate: the private key is not the one of the certificate',
    })
    await assert.rejects(issueServerCertificate({ certificate: 'hello', privateKey: ca.privateKey }, base), {
      code: 'ERR_PKI_NOT_PEM',
      message: "CA certificate is not PEM: expected a '-----BEGIN CERTIFICATE-----' block",
    })
    await assert.rejects(issueServerCertificate({ certificate: ca.certificate, privateKey: ca.certificate }, base), {
      code: 'ERR_PKI_NOT_PEM',
      message: "CA private key is not PEM: expected a '-----BEGIN PRIVATE KEY-----' block",
    })
    const garbled = ca.certificate.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA')
    await assert.rejects(issueServerCertificate({ certificate: garbled, privateKey: ca.privateKey }, base), {
      code: 'ERR_PKI_CERTIFICATE_INVALID',
      message: /^CA certificate does not hold a valid X\.509 certificate: /,
    })
  })
})

describe('issueClientCertificate', () => {
  it('issues a clientAuth-only certificate that openssl accepts for clients and refuses for servers', async () => {
    const ca = await createCertificateAuthority({ commonName: 'Device CA', validityDays: 30 })
    const client = await issueClientCertificate(ca, { commonName: 'device-1', validityDays: 5 })
    const d = describeCertificate(client.certificate)
    assert.equal(d.subject, 'CN=device-1')
    assert.deepEqual([d.dnsNames, d.ipAddresses, d.isCa], [[], [], false])
    assert.match(d.thumbprintSha1, /^[0-9A-F]{40}$/)
    assert.equal(d.thumbprintSha256, new X509Certificate(client.certificate).fingerprint256.replaceAll(':', ''))

    await using dir = await tempDir()
    const caFile = await dir.write('ca.pem', ca.certificate)
    const file = await dir.write('client.pem', client.certificate)
    assert.equal(openssl('verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', caFile, file).status, 0)
    assert.notEqual(openssl('verify', '-purpose', 'sslserver', '-CAfile', caFile, file).status, 0)
    assert.match(openssl('x509', '-in', file, '-noout', '-text').stdout, /Extended Key Usage: \s*\n\s+TLS Web Client Authentication\n/)
    // The thumbprint is what `openssl x509 -fingerprint` prints, without colons (IoT Hub's form).
    const fp = openssl('x509', '-in', file, '-noout', '-fingerprint', '-sha1').stdout
    assert.equal(fp.trim().split('=')[1]?.replaceAll(':', ''), d.thumbprintSha1)
  })
})

describe('issueCertificateAuthority (intermediate, e.g. an edge CA)', () => {
  it('issues an intermediate whose leaves verify against the root with the chain', async () => {
    const root = await createCertificateAuthority({ commonName: 'Root', validityDays: 30, pathLength: 1 })
    const edgeCa = await issueCertificateAuthority(root, { commonName: 'Edge CA', validityDays: 20, pathLength: 0 })
    assert.equal(edgeCa.chain, edgeCa.certificate + root.certificate)
    assert.equal(describeCertificate(edgeCa.certificate).isCa, true)
    // Issue from the intermediate with its chain: the leaf's chain then carries leaf, intermediate and root.
    const leaf = await issueServerCertificate({ certificate: edgeCa.chain, privateKey: edgeCa.privateKey }, {
      commonName: 'edgehub',
      dnsNames: ['edgehub'],
      ipAddresses: [],
      validityDays: 5,
    })
    assert.equal(leaf.chain, leaf.certificate + edgeCa.certificate + root.certificate)
    await using dir = await tempDir()
    const rootFile = await dir.write('root.pem', root.certificate)
    const interFile = await dir.write('edge-ca.pem', edgeCa.certificate)
    const leafFile = await dir.write('leaf.pem', leaf.certificate)
    const v = openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootFile, '-untrusted', interFile, leafFile)
    assert.equal(v.status, 0, v.stderr)
    assert.match(openssl('x509', '-in', interFile, '-noout', '-text').stdout, /CA:TRUE, pathlen:0/)
  })

  it('respects the parent path length', async () => {
    const root = await createCertificateAuthority({ commonName: 'Root', validityDays: 30, pathLength: 1 })
    const inter = await issueCertificateAuthority(root, { commonName: 'Inter', validityDays: 20 })
    await using dir = await tempDir()
    assert.match(openssl('x509', '-in', await dir.write('inter.pem', inter.certificate), '-noout', '-text').stdout, /CA:TRUE, pathlen:0/, 'defaults to one less')
    await assert.rejects(issueCertificateAuthority(root, { commonName: 'Inter', validityDays: 20, pathLength: 1 }), {
      code: 'ERR_PKI_INVALID_OPTION',
      message: 'pathLength 1 is more than the parent CA allows below it (0)',
    })
    await assert.rejects(issueCertificateAuthority({ certificate: inter.chain, privateKey: inter.privateKey }, { commonName: 'Sub', validityDays: 10 }), {
      code: 'ERR_PKI_NOT_CA',
      message: 'CA certificate is not a CA certificate: its path length is 0: it may issue leaf certificates only',
    })
  })
})

describe('describeCertificate', () => {
  it('throws a coded error for text that holds no certificate', () => {
    assert.throws(() => describeCertificate('nope'), {
      code: 'ERR_PKI_NOT_PEM',
      message: "certificate is not PEM: expected a '-----BEGIN CERTIFICATE-----' block",
    })
  })
})
