/**
 * What a certificate says, in the terms Ledge's CLI, logs and tests use.
 */
import { createHash } from 'node:crypto'
import { BasicConstraintsExtension, SubjectAlternativeNameExtension } from './x509.js'
import { normaliseIp } from './names.js'
import { parseCertificate, type ParsedCertificate } from './pem.js'

export interface CertificateDescription {
  subject: string
  issuer: string
  serialNumber: string
  notBefore: Date
  notAfter: Date
  dnsNames: string[]
  ipAddresses: string[]
  isCa: boolean
  /** Uppercase hex without separators: the form IoT Hub uses for X.509 thumbprints. */
  thumbprintSha1: string
  thumbprintSha256: string
}

/** Describes the first certificate in `pem`. Throws a `ERR_PKI_*` AppError when there is none or it does not parse. */
export function describeCertificate(pem: string): CertificateDescription {
  return describeParsed(parseCertificate(pem, 'certificate'))
}

function canonicalIp(value: string): string {
  try {
    return normaliseIp(value)
  } catch {
    return value // an IP SAN of unusual length: show it as the library prints it
  }
}

export function describeParsed(cert: ParsedCertificate): CertificateDescription {
  const der = Buffer.from(cert.x509.rawData)
  const names = cert.x509.getExtension(SubjectAlternativeNameExtension)?.names.items ?? []
  return {
    subject: cert.x509.subject,
    issuer: cert.x509.issuer,
    serialNumber: cert.x509.serialNumber,
    notBefore: cert.x509.notBefore,
    notAfter: cert.x509.notAfter,
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value.toLowerCase()),
    ipAddresses: names.filter((n) => n.type === 'ip').map((n) => canonicalIp(n.value)),
    isCa: cert.x509.getExtension(BasicConstraintsExtension)?.ca ?? false,
    thumbprintSha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  }
}
