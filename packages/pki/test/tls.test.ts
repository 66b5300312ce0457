// Real TLS handshakes (node:tls, certificate checks on, as mqtt.js forces) against certificates from @ledge/pki.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import {
  createCertificateAuthority,
  issueCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  type IssuedCertificate,
  type KeyPairPem,
} from '../src/index.js'
import { handshake, startTlsServer } from './helpers.js'

describe('TLS with an issued server certificate', () => {
  let ca: KeyPairPem
  let server: IssuedCertificate
  before(async () => {
    ca = await createCertificateAuthority({ commonName: 'Ledge Test CA', validityDays: 30 })
    server = await issueServerCertificate(ca, {
      commonName: 'localhost',
      dnsNames: ['localhost', 'hub.test', '*.edge.test'],
      ipAddresses: ['127.0.0.1', '::1'],
      validityDays: 30,
    })
  })

  it('is authorized for a DNS name in its SANs (servername)', async () => {
    await using s = await startTlsServer({ key: server.privateKey, cert: server.chain })
    for (const servername of ['localhost', 'hub.test', 'gw1.edge.test']) {
      assert.deepEqual(await handshake(s, { ca: ca.certificate, servername }), { authorized: true, reply: 'ok' }, servername)
    }
  })

  it('is authorized for an IP in its SANs (no servername, as mqtt.js does for IPs)', async () => {
    await using s = await startTlsServer({ key: server.privateKey, cert: server.chain })
    assert.deepEqual(await handshake(s, { ca: ca.certificate }), { authorized: true, reply: 'ok' })
  })

  it('is authorized for an IPv6 SAN', async (t) => {
    let s
    try {
      s = await startTlsServer({ key: server.privateKey, cert: server.chain }, '::1')
    } catch {
      t.skip('no IPv6 loopback here')
      return
    }
    await using _ = s
    assert.deepEqual(await handshake(s, { ca: ca.certificate }), { authorized: true, reply: 'ok' })
  })

  it('is rejected for a name that is not in its SANs, and by a client trusting another CA', async () => {
    await using s = await startTlsServer({ key: server.privateKey, cert: server.chain })
    assert.deepEqual(await handshake(s, { ca: ca.certificate, servername: 'other.test' }), {
      authorized: false,
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    })
    assert.deepEqual(await handshake(s, { ca: ca.certificate, servername: 'a.b.edge.test' }), {
      authorized: false,
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    })
    const other = await createCertificateAuthority({ commonName: 'Ledge Test CA', validityDays: 30 }) // same name, other key
    assert.deepEqual(await handshake(s, { ca: other.certificate, servername: 'localhost' }), {
      authorized: false,
      code: 'SELF_SIGNED_CERT_IN_CHAIN', // the server sends its CA; the client trusts another
    })
  })

  it('works with RSA keys', async () => {
    const rsaCa = await createCertificateAuthority({ commonName: 'RSA CA', validityDays: 30, keyType: 'rsa-2048' })
    const leaf = await issueServerCertificate(rsaCa, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: [], validityDays: 1, keyType: 'rsa-2048' })
    await using s = await startTlsServer({ key: leaf.privateKey, cert: leaf.chain })
    assert.equal((await handshake(s, { ca: rsaCa.certificate, servername: 'localhost' })).authorized, true)
  })

  it('chains through an intermediate CA to a root the client trusts', async () => {
    const edgeCa = await issueCertificateAuthority(ca, { commonName: 'Edge CA', validityDays: 10, pathLength: 0 })
    const leaf = await issueServerCertificate({ certificate: edgeCa.chain, privateKey: edgeCa.privateKey }, {
      commonName: 'edgehub',
      dnsNames: ['edgehub'],
      ipAddresses: [],
      validityDays: 5,
    })
    await using s = await startTlsServer({ key: leaf.privateKey, cert: leaf.chain })
    assert.deepEqual(await handshake(s, { ca: ca.certificate, servername: 'edgehub' }), { authorized: true, reply: 'ok' })
  })

  it('authenticates a client certificate (mutual TLS, as X.509 devices do)', async () => {
    const client = await issueClientCertificate(ca, { commonName: 'device-1', validityDays: 1 })
    await using s = await startTlsServer({ key: server.privateKey, cert: server.chain, ca: ca.certificate, requestCert: true, rejectUnauthorized: true })
    const r = await handshake(s, { ca: ca.certificate, servername: 'localhost', key: client.privateKey, cert: client.certificate })
    assert.deepEqual(r, { authorized: true, reply: 'ok' })
    assert.deepEqual(s.clients, [{ authorized: true, subject: 'device-1' }])
  })
})
