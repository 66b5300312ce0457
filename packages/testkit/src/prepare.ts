/**
 * Run once by scripts/test.mjs before the test processes start. Makes (or reuses) a test CA and prints, as JSON, the
 * environment every test process needs: the Azure service SDK has no CA option and reads NODE_EXTRA_CA_CERTS only
 * when a process starts (reference: azure-sdk-wire.md §1), so the CA must exist before the tests do.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCertificateAuthority, describeCertificate } from '@ledge/pki'
import { readFileSync } from 'node:fs'
import { testArtifactsDir } from './paths.js'

const dir = join(testArtifactsDir(), 'test-ca')
const certFile = join(dir, 'ca.pem')
const keyFile = join(dir, 'ca.key.pem')

function fresh(): boolean {
  if (!existsSync(certFile) || !existsSync(keyFile)) return false
  const d = describeCertificate(readFileSync(certFile, 'utf8'))
  return d.notAfter.getTime() - Date.now() > 7 * 24 * 3600_000
}

if (!fresh()) {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const ca = await createCertificateAuthority({ commonName: 'Ledge Test CA', validityDays: 90 })
  writeFileSync(certFile, ca.certificate, { mode: 0o644 })
  writeFileSync(keyFile, ca.privateKey, { mode: 0o600 })
}

process.stdout.write(JSON.stringify({ NODE_EXTRA_CA_CERTS: certFile, LEDGE_TEST_CA_CERT: certFile, LEDGE_TEST_CA_KEY: keyFile }))
