/**
 * Issuing certificates: a self-signed root CA, intermediate CAs (e.g. an edge device's edge CA), TLS server and
 * client certificates. Extensions follow RFC 5280 and what `openssl verify -x509_strict` and Node's TLS expect.
 */
import { randomBytes, webcrypto, type KeyObject } from 'node:crypto'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
  type Extension,
} from './x509.js'
import { errors } from './errors.js'
import { assertKeyType, generateKeyPair, toSigner, type KeyType, type Signer } from './keys.js'
import { assertCommonName, assertValidityDays, subjectAltNames } from './names.js'
import { assertCurrentlyValid, assertKeyMatches, parseCertificates, parsePrivateKey, type ParsedCertificate } from './pem.js'

const webCrypto: webcrypto.Crypto = webcrypto

/** A certificate (PEM; for an issuing CA possibly followed by its own chain) and its private key (PEM). */
export interface KeyPairPem {
  certificate: string
  privateKey: string
}

/** A leaf certificate with the chain a TLS server sends: the leaf followed by its issuer's certificate(s). */
export interface IssuedCertificate extends KeyPairPem {
  chain: string
}

export interface CertificateAuthorityOptions {
  commonName: string
  validityDays: number
  /** Default `ec-p256`. */
  keyType?: KeyType
  /** Maximum number of intermediate CAs below this one; unlimited when left out. */
  pathLength?: number
}

export interface ServerCertificateOptions {
  commonName: string
  dnsNames: string[]
  ipAddresses: string[]
  validityDays: number
  keyType?: KeyType
}

export interface ClientCertificateOptions {
  commonName: string
  validityDays: number
  keyType?: KeyType
}

/** Clients with a slightly slow clock still accept a certificate made a moment ago. */
const BACKDATE_MS = 5 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

/** A random positive 128-bit serial number (RFC 5280 §4.1.2.2: positive, at most 20 octets, unpredictable). */
function serialNumber(): string {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40
  return bytes.toString('hex')
}

function validity(validityDays: number, notAfterCap?: Date): { notBefore: Date; notAfter: Date } {
  const now = Date.now()
  let notAfter = new Date(now + validityDays * DAY_MS)
  // A certificate cannot usefully outlive its issuer.
  if (notAfterCap && notAfterCap.getTime() < notAfter.getTime()) notAfter = notAfterCap
  return { notBefore: new Date(now - BACKDATE_MS), notAfter }
}

function assertPathLength(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw errors.invalidOption(`pathLength must be a whole number of 0 or more, got ${String(value)}`)
  }
  return value
}

function caExtensions(pathLength: number | undefined): Extension[] {
  return [new BasicConstraintsExtension(true, pathLength, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true)]
}

/** Creates a self-signed root CA. */
export async function createCertificateAuthority(o: CertificateAuthorityOptions): Promise<KeyPairPem> {
  const commonName = assertCommonName(o.commonName)
  const days = assertValidityDays(o.validityDays)
  const pathLength = assertPathLength(o.pathLength)
  const pair = await generateKeyPair(assertKeyType(o.keyType))
  const extensions = [
    ...caExtensions(pathLength),
    await SubjectKeyIdentifierExtension.create(pair.keys.publicKey, false, webCrypto),
    await AuthorityKeyIdentifierExtension.create(pair.keys.publicKey, false, webCrypto),
  ]
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: [{ CN: [commonName] }],
      ...validity(days),
      keys: pair.keys,
      signingAlgorithm: pair.isRsa ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' },
      extensions,
    },
    webCrypto,
  )
  return { certificate: `${cert.toString('pem')}\n`, privateKey: pair.privateKeyPem }
}

/** An issuing CA, checked: a CA certificate, currently valid, with the matching private key. */
export interface Issuer {
  /** The issuing certificate first, then the rest of its chain (if the PEM held one). */
  certificates: ParsedCertificate[]
  privateKey: KeyObject
  signer: Signer
}

/**
 * Checks and loads an issuing CA. `certSource`/`keySource` name the inputs in errors
 * (e.g. "CA certificate file '/etc/ledge/ca.pem'").
 */
export async function loadIssuer(ca: KeyPairPem, certSource = 'CA certificate', keySource = 'CA private key'): Promise<Issuer> {
  if (!ca || typeof ca.certificate !== 'string' || typeof ca.privateKey !== 'string') {
    throw errors.invalidOption('the CA must be given as { certificate, privateKey } PEM strings')
  }
  const certificates = parseCertificates(ca.certificate, certSource)
  const first = certificates[0] as ParsedCertificate
  assertIsCa(first, certSource)
  assertCurrentlyValid(first, certSource)
  const privateKey = parsePrivateKey(ca.privateKey, keySource)
  assertKeyMatches(first, privateKey, certSource, keySource)
  return { certificates, privateKey, signer: await toSigner(privateKey, keySource) }
}

/** Throws unless `cert` may issue certificates: basic constraints CA:TRUE and, if key usage is present, keyCertSign. */
export function assertIsCa(cert: ParsedCertificate, source: string): void {
  const bc = cert.x509.getExtension(BasicConstraintsExtension)
  if (!bc?.ca) throw errors.notCa(source, `its basic constraints do not say CA:TRUE (subject '${cert.x509.subject}')`)
  const ku = cert.x509.getExtension(KeyUsagesExtension)
  if (ku && (ku.usages & KeyUsageFlags.keyCertSign) === 0) throw errors.notCa(source, 'its key usage does not include keyCertSign')
}

async function authorityKeyIdentifier(issuer: ParsedCertificate): Promise<AuthorityKeyIdentifierExtension> {
  // RFC 5280 §4.2.1.1: the AKI is the issuer's SKI, however the issuer computed it.
  const ski = issuer.x509.getExtension(SubjectKeyIdentifierExtension)
  if (ski) return new AuthorityKeyIdentifierExtension(ski.keyId)
  return AuthorityKeyIdentifierExtension.create(issuer.x509, false, webCrypto)
}

async function issue(
  issuer: Issuer,
  o: { commonName: string; validityDays: number; keyType: KeyType },
  extensionsFor: (isRsa: boolean) => Extension[],
): Promise<IssuedCertificate> {
  const pair = await generateKeyPair(o.keyType)
  const issuerCert = issuer.certificates[0] as ParsedCertificate
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: [{ CN: [o.commonName] }],
      issuer: issuerCert.x509.subjectName,
      ...validity(o.validityDays, issuerCert.x509.notAfter),
      publicKey: pair.keys.publicKey,
      signingKey: issuer.signer.key,
      signingAlgorithm: issuer.signer.algorithm,
      extensions: [
        ...extensionsFor(pair.isRsa),
        await SubjectKeyIdentifierExtension.create(pair.keys.publicKey, false, webCrypto),
        await authorityKeyIdentifier(issuerCert),
      ],
    },
    webCrypto,
  )
  const certificate = `${cert.toString('pem')}\n`
  return { certificate, privateKey: pair.privateKeyPem, chain: certificate + issuer.certificates.map((c) => c.pem).join('') }
}

/**
 * Issues an intermediate CA from `parent` (for instance an edge device's edge CA). Its `certificate` is the
 * intermediate alone; `chain` adds the parent's chain, which is what certificates issued from it should be sent with.
 */
export async function issueCertificateAuthority(parent: KeyPairPem, o: CertificateAuthorityOptions): Promise<IssuedCertificate> {
  const commonName = assertCommonName(o.commonName)
  const validityDays = assertValidityDays(o.validityDays)
  const keyType = assertKeyType(o.keyType)
  let pathLength = assertPathLength(o.pathLength)
  const issuer = await loadIssuer(parent)
  // RFC 5280 §4.2.1.9: a CA with pathLength n may have at most n CAs below it.
  const parentLimit = (issuer.certificates[0] as ParsedCertificate).x509.getExtension(BasicConstraintsExtension)?.pathLength
  if (parentLimit !== undefined) {
    if (parentLimit === 0) throw errors.notCa('CA certificate', 'its path length is 0: it may issue leaf certificates only')
    if (pathLength !== undefined && pathLength > parentLimit - 1) {
      throw errors.invalidOption(`pathLength ${pathLength} is more than the parent CA allows below it (${parentLimit - 1})`)
    }
    pathLength ??= parentLimit - 1
  }
  return issue(issuer, { commonName, validityDays, keyType }, () => caExtensions(pathLength))
}

/**
 * Issues a TLS server certificate: EKU serverAuth, key usage digitalSignature (+ keyEncipherment for RSA),
 * SANs for every DNS name and IP address (a host name that is an IP goes in as an IP SAN).
 */
export async function issueServerCertificate(ca: KeyPairPem, o: ServerCertificateOptions): Promise<IssuedCertificate> {
  const commonName = assertCommonName(o.commonName)
  const validityDays = assertValidityDays(o.validityDays)
  const keyType = assertKeyType(o.keyType)
  const sans = subjectAltNames(o.dnsNames, o.ipAddresses)
  const issuer = await loadIssuer(ca)
  return issueServerCertificateFrom(issuer, { commonName, validityDays, keyType, ...sans })
}

/** {@link issueServerCertificate} from an issuer already loaded and checked. */
export async function issueServerCertificateFrom(
  issuer: Issuer,
  o: { commonName: string; validityDays: number; keyType: KeyType; dns: string[]; ips: string[] },
): Promise<IssuedCertificate> {
  return issue(issuer, o, (isRsa) => [
    new BasicConstraintsExtension(false, undefined, true),
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature | (isRsa ? KeyUsageFlags.keyEncipherment : 0), true),
    new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
    new SubjectAlternativeNameExtension([
      ...o.dns.map((value) => ({ type: 'dns' as const, value })),
      ...o.ips.map((value) => ({ type: 'ip' as const, value })),
    ]),
  ])
}

/**
 * Issues a TLS client certificate (X.509 device authentication: the common name is the device id).
 * EKU clientAuth only: a client certificate must not be usable as a server certificate.
 */
export async function issueClientCertificate(ca: KeyPairPem, o: ClientCertificateOptions): Promise<IssuedCertificate> {
  const commonName = assertCommonName(o.commonName)
  const validityDays = assertValidityDays(o.validityDays)
  const keyType = assertKeyType(o.keyType)
  const issuer = await loadIssuer(ca)
  return issue(issuer, { commonName, validityDays, keyType }, (isRsa) => [
    new BasicConstraintsExtension(false, undefined, true),
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature | (isRsa ? KeyUsageFlags.keyEncipherment : 0), true),
    new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth]),
  ])
}
