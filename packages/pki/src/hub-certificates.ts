/**
 * The hub's TLS files: generated on first start, reused afterwards, and the server certificate re-issued from the
 * same CA when it no longer fits (expiring, or missing a host name or IP the hub is now started with). The CA is
 * never replaced silently, because devices trust it.
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describeParsed } from './describe.js'
import { errors } from './errors.js'
import { CERT_FILE_MODE, KEY_FILE_MODE, fileExists, looseModeWarning, readText, writeFileAtomic } from './files.js'
import { createCertificateAuthority, issueServerCertificateFrom, loadIssuer, type Issuer } from './issue.js'
import { assertKeyType, type KeyType } from './keys.js'
import { assertCommonName, assertValidityDays, dnsNameMatches, subjectAltNames } from './names.js'
import { assertCurrentlyValid, assertKeyMatches, parseCertificates, parsePrivateKey, type ParsedCertificate } from './pem.js'

export const CA_FILE = 'ca.pem'
export const CA_KEY_FILE = 'ca.key.pem'
export const SERVER_CERT_FILE = 'server.pem'
export const SERVER_KEY_FILE = 'server.key.pem'

export const DEFAULT_CA_VALIDITY_DAYS = 3650
export const DEFAULT_SERVER_VALIDITY_DAYS = 365
/** The server certificate is re-issued when it expires within this many days. */
export const DEFAULT_RENEW_BEFORE_DAYS = 30
export const DEFAULT_CA_COMMON_NAME = 'Ledge Hub CA'

const DAY_MS = 24 * 60 * 60 * 1000

export interface HubCertificateOptions {
  /** Where the generated files live (created with mode 0700 if missing). */
  dir: string
  /** DNS names clients dial (the SDK's HostName / GatewayHostName without the port). IPs given here count as IPs. */
  hostNames: string[]
  ipAddresses: string[]
  caValidityDays?: number
  serverValidityDays?: number
  renewBeforeDays?: number
  keyType?: KeyType
  caCommonName?: string
  /** Issue the server certificate from this CA instead of a generated one. */
  userCa?: { certFile: string; keyFile: string }
  /** Use this server certificate and key as they are; `caFile` is what clients should trust. */
  userServer?: { certFile: string; keyFile: string; caFile?: string }
}

export interface HubCertificates {
  /** The CA clients should trust (PEM). */
  caPem: string
  /** The server certificate chain (leaf first), for `tls.createServer({ cert })`. */
  serverCertPem: string
  serverKeyPem: string
  /** The file holding {@link caPem}: what to give devices (`setOptions({ ca })`, `NODE_EXTRA_CA_CERTS`). */
  caFile: string
  serverCertFile: string
  serverKeyFile: string
  /** True when this call wrote any file. */
  generated: boolean
  ca: 'generated' | 'existing' | 'user'
  server: 'generated' | 'existing' | 'reissued' | 'user'
  /** Why the server certificate was issued or re-issued in this call. */
  reason?: string
  /** Things worth logging that did not stop the hub (loose key file modes, a user certificate about to expire…). */
  warnings: string[]
}

interface Settings {
  dir: string
  dns: string[]
  ips: string[]
  caValidityDays: number
  serverValidityDays: number
  renewBeforeDays: number
  keyType: KeyType
  caCommonName: string
}

function settings(o: HubCertificateOptions): Settings {
  if (!o || typeof o.dir !== 'string' || o.dir === '') throw errors.invalidOption('dir must name the folder for the certificate files')
  if (o.userCa && o.userServer) throw errors.invalidOption('give userCa or userServer, not both')
  const sans = subjectAltNames(o.hostNames ?? [], o.ipAddresses ?? [])
  return {
    dir: resolve(o.dir),
    ...sans,
    caValidityDays: assertValidityDays(o.caValidityDays ?? DEFAULT_CA_VALIDITY_DAYS, 'caValidityDays'),
    serverValidityDays: assertValidityDays(o.serverValidityDays ?? DEFAULT_SERVER_VALIDITY_DAYS, 'serverValidityDays'),
    renewBeforeDays: assertRenewBefore(o.renewBeforeDays),
    keyType: assertKeyType(o.keyType),
    caCommonName: assertCommonName(o.caCommonName ?? DEFAULT_CA_COMMON_NAME, 'caCommonName'),
  }
}

function assertRenewBefore(v: number | undefined): number {
  if (v === undefined) return DEFAULT_RENEW_BEFORE_DAYS
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw errors.invalidOption(`renewBeforeDays must be 0 or more, got ${String(v)}`)
  return v
}

const fileSource = (what: string, path: string): string => `${what} file '${path}'`

/**
 * Makes sure the hub has a CA and a server certificate that fits `hostNames` and `ipAddresses`.
 *
 * - First start: writes `ca.pem` (0644), `ca.key.pem` (0600), `server.pem` (chain: leaf + CA, 0644), `server.key.pem` (0600).
 * - Later starts: reuses them; re-issues the server certificate (new key, same CA) when it expires within
 *   `renewBeforeDays`, lacks a requested name or IP, was not issued by the CA, or its files are damaged.
 * - `userCa`: the server certificate is issued from that CA into `dir`; `caFile` is the user's CA file.
 * - `userServer`: the files are used as they are, after checking them.
 *
 * Throws an `ERR_PKI_*` AppError naming the file and the problem for inputs that cannot be used.
 */
export async function ensureHubCertificates(o: HubCertificateOptions): Promise<HubCertificates> {
  const s = settings(o)
  if (o.userServer) return useUserServer(o.userServer, s)
  await mkdir(s.dir, { recursive: true, mode: 0o700 })
  const warnings: string[] = []
  const ca = o.userCa ? await loadUserCa(o.userCa) : await loadOrCreateCa(s)
  if (ca.state !== 'generated') await caWarnings(ca, s, warnings)
  const server = await loadOrIssueServer(ca.issuer, s, warnings)
  return {
    caPem: ca.pem,
    serverCertPem: server.chain,
    serverKeyPem: server.key,
    caFile: ca.file,
    serverCertFile: join(s.dir, SERVER_CERT_FILE),
    serverKeyFile: join(s.dir, SERVER_KEY_FILE),
    generated: ca.state === 'generated' || server.state !== 'existing',
    ca: ca.state,
    server: server.state,
    ...(server.reason ? { reason: server.reason } : {}),
    warnings,
  }
}

interface LoadedCa {
  issuer: Issuer
  pem: string
  file: string
  keyFile: string
  state: 'generated' | 'existing' | 'user'
}

async function loadUserCa(u: { certFile: string; keyFile: string }): Promise<LoadedCa> {
  const file = resolve(u.certFile)
  const keyFile = resolve(u.keyFile)
  const certSource = fileSource('CA certificate', file)
  const keySource = fileSource('CA private key', keyFile)
  const pem = await readText(file, certSource)
  const key = await readText(keyFile, keySource)
  return { issuer: await loadIssuer({ certificate: pem, privateKey: key }, certSource, keySource), pem, file, keyFile, state: 'user' }
}

async function loadOrCreateCa(s: Settings): Promise<LoadedCa> {
  const file = join(s.dir, CA_FILE)
  const keyFile = join(s.dir, CA_KEY_FILE)
  const certSource = fileSource('CA certificate', file)
  const keySource = fileSource('CA private key', keyFile)
  const [hasCert, hasKey] = await Promise.all([fileExists(file), fileExists(keyFile)])
  if (hasCert !== hasKey) throw hasCert ? errors.caIncomplete(certSource, keySource) : errors.caIncomplete(keySource, certSource)
  if (hasCert) {
    const pem = await readText(file, certSource)
    const issuer = await loadIssuer({ certificate: pem, privateKey: await readText(keyFile, keySource) }, certSource, keySource)
    return { issuer, pem, file, keyFile, state: 'existing' }
  }
  const ca = await createCertificateAuthority({ commonName: s.caCommonName, validityDays: s.caValidityDays, keyType: s.keyType })
  // Key first: a crash in between leaves a key without a certificate, which the next start reports instead of hiding.
  await writeFileAtomic(keyFile, ca.privateKey, KEY_FILE_MODE)
  await writeFileAtomic(file, ca.certificate, CERT_FILE_MODE)
  return { issuer: await loadIssuer(ca, certSource, keySource), pem: ca.certificate, file, keyFile, state: 'generated' }
}

async function caWarnings(ca: LoadedCa, s: Settings, warnings: string[]): Promise<void> {
  await warnIfLoose(ca.keyFile, 'CA private key', warnings)
  const notAfter = (ca.issuer.certificates[0] as ParsedCertificate).x509.notAfter
  if (notAfter.getTime() - Date.now() < s.renewBeforeDays * DAY_MS) {
    const what = fileSource('CA certificate', ca.file)
    warnings.push(
      ca.state === 'user'
        ? `${what} expires on ${notAfter.toISOString()}: renew it, and give the new CA to every device`
        : `${what} expires on ${notAfter.toISOString()}: delete ${CA_FILE} and ${CA_KEY_FILE} to create a new CA, then give it to every device`,
    )
  }
}

async function warnIfLoose(keyFile: string, what: string, warnings: string[]): Promise<void> {
  const loose = await looseModeWarning(keyFile, fileSource(what, keyFile))
  if (loose) warnings.push(loose)
}

interface LoadedServer {
  chain: string
  key: string
  state: 'generated' | 'existing' | 'reissued'
  reason?: string
}

async function loadOrIssueServer(issuer: Issuer, s: Settings, warnings: string[]): Promise<LoadedServer> {
  const certFile = join(s.dir, SERVER_CERT_FILE)
  const keyFile = join(s.dir, SERVER_KEY_FILE)
  const [hasCert, hasKey] = await Promise.all([fileExists(certFile), fileExists(keyFile)])
  let reason = 'there was no server certificate yet'
  if (hasCert || hasKey) {
    const existing = await readExistingServer(certFile, keyFile)
    const problem = typeof existing === 'string' ? existing : whyReissue(existing.leaf, issuer, s)
    if (problem === undefined && typeof existing !== 'string') {
      await warnIfLoose(keyFile, 'server private key', warnings)
      // Send the chain of the CA as it is now (the CA file may have gained an intermediate).
      return { chain: existing.leaf.pem + issuer.certificates.map((c) => c.pem).join(''), key: existing.key, state: 'existing' }
    }
    reason = problem as string
  }
  const leaf = await issueServerCertificateFrom(issuer, {
    commonName: s.dns[0] ?? (s.ips[0] as string),
    validityDays: s.serverValidityDays,
    keyType: s.keyType,
    dns: s.dns,
    ips: s.ips,
  })
  await writeFileAtomic(keyFile, leaf.privateKey, KEY_FILE_MODE)
  await writeFileAtomic(certFile, leaf.chain, CERT_FILE_MODE)
  return { chain: leaf.chain, key: leaf.privateKey, state: hasCert || hasKey ? 'reissued' : 'generated', reason }
}

/**
 * Our own server files, or what is wrong with them: that is a reason to re-issue, not an error (they hold nothing
 * irreplaceable).
 */
async function readExistingServer(certFile: string, keyFile: string): Promise<{ leaf: ParsedCertificate; key: string } | string> {
  try {
    const certSource = fileSource('server certificate', certFile)
    const keySource = fileSource('server private key', keyFile)
    const leaf = parseCertificates(await readText(certFile, certSource), certSource)[0] as ParsedCertificate
    const key = await readText(keyFile, keySource)
    assertKeyMatches(leaf, parsePrivateKey(key, keySource), certSource, keySource)
    return { leaf, key }
  } catch (err) {
    return `the existing server certificate could not be used: ${(err as Error).message}`
  }
}

/** Why an existing server certificate should be replaced, or undefined when it still fits. */
function whyReissue(leaf: ParsedCertificate, issuer: Issuer, s: Settings): string | undefined {
  const ca = issuer.certificates[0] as ParsedCertificate
  if (!leaf.node.checkIssued(ca.node) || !leaf.node.verify(ca.node.publicKey)) {
    return `the server certificate was not issued by the CA in use ('${ca.x509.subject}')`
  }
  const notAfter = leaf.x509.notAfter
  if (notAfter.getTime() - Date.now() < s.renewBeforeDays * DAY_MS) {
    return `the server certificate expires on ${notAfter.toISOString()}, within ${s.renewBeforeDays} days`
  }
  const missing = missingNames(leaf, s)
  return missing ? `the server certificate does not cover ${missing}` : undefined
}

function missingNames(leaf: ParsedCertificate, s: { dns: string[]; ips: string[] }): string | undefined {
  const d = describeParsed(leaf)
  const dns = s.dns.filter((h) => !d.dnsNames.some((san) => dnsNameMatches(san, h)))
  const ips = s.ips.filter((ip) => !d.ipAddresses.includes(ip))
  const parts = [
    ...(dns.length ? [`host name(s) ${dns.map((x) => `'${x}'`).join(', ')}`] : []),
    ...(ips.length ? [`IP address(es) ${ips.map((x) => `'${x}'`).join(', ')}`] : []),
  ]
  return parts.length ? parts.join(' and ') : undefined
}

async function useUserServer(u: { certFile: string; keyFile: string; caFile?: string }, s: Settings): Promise<HubCertificates> {
  const certFile = resolve(u.certFile)
  const keyFile = resolve(u.keyFile)
  const certSource = fileSource('server certificate', certFile)
  const keySource = fileSource('server private key', keyFile)
  const chainPem = await readText(certFile, certSource)
  const chain = parseCertificates(chainPem, certSource)
  const leaf = chain[0] as ParsedCertificate
  const keyPem = await readText(keyFile, keySource)
  assertKeyMatches(leaf, parsePrivateKey(keyPem, keySource), certSource, keySource)
  assertCurrentlyValid(leaf, certSource)

  let caPem = chainPem
  let caFile = certFile
  if (u.caFile) {
    caFile = resolve(u.caFile)
    const caSource = fileSource('CA certificate', caFile)
    caPem = await readText(caFile, caSource)
    if (!chainsTo(chain, parseCertificates(caPem, caSource))) throw errors.untrusted(certSource, caSource)
  }

  const warnings: string[] = []
  await warnIfLoose(keyFile, 'server private key', warnings)
  if (leaf.x509.notAfter.getTime() - Date.now() < s.renewBeforeDays * DAY_MS) {
    warnings.push(`${certSource} expires on ${leaf.x509.notAfter.toISOString()}: replace it soon`)
  }
  const missing = missingNames(leaf, s)
  if (missing) warnings.push(`${certSource} does not cover ${missing}: clients dialling those will reject it`)
  return {
    caPem,
    serverCertPem: chainPem,
    serverKeyPem: keyPem,
    caFile,
    serverCertFile: certFile,
    serverKeyFile: keyFile,
    generated: false,
    ca: 'user',
    server: 'user',
    warnings,
  }
}

/** True when walking up from the leaf through `chain` reaches a certificate in `anchors` or one signed by it. */
function chainsTo(chain: ParsedCertificate[], anchors: ParsedCertificate[]): boolean {
  const isAnchor = (c: ParsedCertificate): boolean => anchors.some((a) => a.node.fingerprint256 === c.node.fingerprint256)
  const signedBy = (c: ParsedCertificate, by: ParsedCertificate): boolean => c.node.checkIssued(by.node) && c.node.verify(by.node.publicKey)
  let current = chain[0] as ParsedCertificate
  const seen = new Set<string>()
  while (!seen.has(current.node.fingerprint256)) {
    if (isAnchor(current) || anchors.some((a) => signedBy(current, a))) return true
    seen.add(current.node.fingerprint256)
    const next = chain.find((c) => c !== current && signedBy(current, c))
    if (!next) return false
    current = next
  }
  return false
}
