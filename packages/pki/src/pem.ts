/**
 * Reading PEM text: certificates (one or a bundle) and private keys in any PEM form Node understands
 * (PKCS#8, PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`). Errors name `source`, e.g. "CA certificate file '/x/ca.pem'".
 */
import { X509Certificate as NodeCertificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { X509Certificate } from './x509.js'
import { errors } from './errors.js'

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g
const PRIVATE_KEY_BEGIN = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----/

/** One parsed certificate, in both libraries' forms: peculiar for extensions, Node for signature and key checks. */
export interface ParsedCertificate {
  /** The PEM block, normalised to end with a newline. */
  pem: string
  x509: X509Certificate
  node: NodeCertificate
}

/** Every certificate in `text`, in order. Throws when there is none or one does not parse. */
export function parseCertificates(text: string, source: string): ParsedCertificate[] {
  const blocks = text.match(CERTIFICATE_BLOCK)
  if (!blocks) throw errors.notPem(source, 'CERTIFICATE')
  return blocks.map((block, i) => {
    const which = blocks.length > 1 ? ` (certificate ${i + 1} of ${blocks.length})` : ''
    try {
      return { pem: `${block}\n`, x509: new X509Certificate(block), node: new NodeCertificate(block) }
    } catch (err) {
      throw errors.certificateInvalid(source, `does not hold a valid X.509 certificate${which}: ${(err as Error).message}`, err)
    }
  })
}

/** The first certificate in `text`. */
export function parseCertificate(text: string, source: string): ParsedCertificate {
  return parseCertificates(text, source)[0] as ParsedCertificate
}

/** The private key in `text`. Encrypted keys are refused: Ledge has nowhere to get a passphrase from. */
export function parsePrivateKey(text: string, source: string): KeyObject {
  const begin = PRIVATE_KEY_BEGIN.exec(text)
  if (!begin) throw errors.notPem(source, 'PRIVATE KEY')
  if (begin[1] === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(text)) {
    throw errors.keyInvalid(source, 'is encrypted: give an unencrypted key and protect the file with mode 0600 instead')
  }
  try {
    return createPrivateKey(text)
  } catch (err) {
    throw errors.keyInvalid(source, `does not hold a valid private key: ${(err as Error).message}`, err)
  }
}

/** Throws unless `key` is the private key of `cert`. */
export function assertKeyMatches(cert: ParsedCertificate, key: KeyObject, certSource: string, keySource: string): void {
  let matches = false
  try {
    matches = cert.node.checkPrivateKey(key)
  } catch {
    matches = false // different key types (e.g. an RSA key for an EC certificate) throw instead of returning false
  }
  if (!matches) throw errors.keyMismatch(keySource, certSource)
}

/** Throws when `cert` is expired or not yet valid at `now`. */
export function assertCurrentlyValid(cert: ParsedCertificate, source: string, now = new Date()): void {
  if (cert.x509.notAfter.getTime() <= now.getTime()) throw errors.expired(source, cert.x509.notAfter)
  if (cert.x509.notBefore.getTime() > now.getTime()) throw errors.notYetValid(source, cert.x509.notBefore)
}
