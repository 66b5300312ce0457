/**
 * The edge CA: generated on first start (`Ledge Edge CA <deviceId>`, self-signed, `auto_generated_edge_ca_expiry_days`)
 * and renewed when `[edge_ca.auto_renew] threshold` of its lifetime has passed, or supplied by the user
 * (`[edge_ca] cert`/`pk`, never renewed here). It issues the modules' server and identity certificates; the trust
 * bundle modules get is the edge CA plus `trust_bundle_cert`.
 */
import { isIP } from 'node:net'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '@ledge/common'
import { createCertificateAuthority, describeCertificate, issueClientCertificate, issueServerCertificate, type KeyPairPem } from '@ledge/pki'
import type { CertificateResponse } from '@ledge/protocol'
import type { DaemonConfig } from '../config/load.js'
import { ConfigError, errors } from '../errors.js'
import { ensureDir, writeFileAtomic } from '../files.js'

const DAY_MS = 24 * 3600 * 1000
/** Leaf certificates live at most this long (and never past the edge CA). */
export const MAX_LEAF_VALIDITY_DAYS = 90
/** setTimeout's limit: longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1

export const EDGE_CA_CERT_FILE = 'edge-ca.pem'
export const EDGE_CA_KEY_FILE = 'edge-ca.key.pem'

export interface EdgeCaOptions {
  certsDir: string
  deviceId: string
  config: DaemonConfig['edgeCa']
  /** The config file, for errors about user-supplied files. */
  configFile: string
  trustBundleCertFile?: string
  log: Logger
  now?: () => number
}

/** `Ledge Edge CA <deviceId>`, cut to the 64 characters a common name may have. */
export function edgeCaCommonName(deviceId: string): string {
  return `Ledge Edge CA ${deviceId}`.slice(0, 64)
}

/** A module id as a DNS label for a SAN (as edgelet's sanitize_dns_label): lowercase letters, digits and '-'. */
export function moduleIdDnsLabel(moduleId: string): string | undefined {
  const label = moduleId.toLowerCase().replace(/[^a-z0-9-]/g, '').replace(/^[^a-z]+/, '').replace(/[^a-z0-9]+$/, '').slice(0, 63)
  return label || undefined
}

export class EdgeCa {
  private ca!: KeyPairPem
  private userBundle = ''
  private timer: NodeJS.Timeout | undefined
  private readonly now: () => number
  readonly generated: boolean

  private constructor(private readonly o: EdgeCaOptions) {
    this.now = o.now ?? Date.now
    this.generated = o.config.certFile === undefined
  }

  /** Loads the user's CA, or loads / generates / renews the generated one. */
  static async open(o: EdgeCaOptions): Promise<EdgeCa> {
    const ca = new EdgeCa(o)
    await ca.loadTrustBundle()
    if (ca.generated) await ca.loadOrGenerate()
    else await ca.loadUserCa()
    return ca
  }

  get certificate(): string {
    return this.ca.certificate
  }

  get notAfter(): Date {
    return describeCertificate(this.ca.certificate).notAfter
  }

  /** PEM: the edge CA (with the chain its file holds) and the user's trust bundle. */
  trustBundle(): string {
    const own = this.ca.certificate.endsWith('\n') ? this.ca.certificate : `${this.ca.certificate}\n`
    return own + this.userBundle
  }

  async issueServerCertificate(moduleId: string, commonName: string, expiration?: string): Promise<CertificateResponse> {
    const label = moduleIdDnsLabel(moduleId)
    // An edge device named by its address (a lab, a test on 127.0.0.x) needs an IP SAN: clients check it.
    const ip = isIP(commonName) !== 0
    const names = [...(ip ? [] : [commonName]), ...(label ? [label] : [])]
    try {
      const issued = await issueServerCertificate(this.ca, { commonName, dnsNames: names, ipAddresses: ip ? [commonName] : [], validityDays: this.validityDays(expiration) })
      return this.response(issued.chain, issued.privateKey)
    } catch (err) {
      if ((err as { kind?: string }).kind === 'invalid') throw errors.badRequest((err as Error).message)
      throw err
    }
  }

  async issueIdentityCertificate(moduleId: string, expiration?: string): Promise<CertificateResponse> {
    const issued = await issueClientCertificate(this.ca, { commonName: moduleId.slice(0, 64), validityDays: this.validityDays(expiration) })
    return this.response(issued.chain, issued.privateKey)
  }

  /**
   * Arms the renewal timer of a generated edge CA: at `threshold` of its lifetime it is renewed and `onRenewed` runs
   * (the daemon restarts every module, as Azure does, so that they fetch the new trust bundle). A failed renewal is
   * retried every `retry` of the lifetime.
   */
  scheduleRenewal(onRenewed: () => Promise<void>): void {
    if (!this.generated) return
    this.arm(this.renewAt() - this.now(), onRenewed)
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm(delayMs: number, onRenewed: () => Promise<void>): void {
    this.stop()
    const wait = Math.max(0, delayMs)
    this.timer = setTimeout(() => {
      if (wait > MAX_TIMER_MS) return this.arm(delayMs - MAX_TIMER_MS, onRenewed)
      this.renew().then(
        async () => {
          await onRenewed().catch((err: unknown) => this.o.log.warn({ err, event: 'edge_ca.after_renewal_failed' }, 'restarting modules after the edge CA renewal failed'))
          this.arm(this.renewAt() - this.now(), onRenewed)
        },
        (err: unknown) => {
          const retryMs = (this.lifetimeMs() * this.o.config.autoRenew.retryPercent) / 100
          this.o.log.warn({ err, event: 'edge_ca.renew_failed', retryMs }, 'edge CA renewal failed; will retry')
          this.arm(retryMs, onRenewed)
        },
      )
    }, Math.min(wait, MAX_TIMER_MS))
    this.timer.unref()
  }

  /** Makes a new generated edge CA now. */
  async renew(): Promise<void> {
    if (!this.o.config.autoRenew.rotateKey) {
      // @ledge/pki cannot re-sign with an existing key yet; say so rather than pretend.
      this.o.log.warn({ event: 'edge_ca.rotate_key_unsupported' }, 'edge_ca.auto_renew.rotate_key = false is not supported yet: the renewed edge CA gets a new key')
    }
    await this.generate('renewed')
  }

  private lifetimeMs(): number {
    const d = describeCertificate(this.ca.certificate)
    return d.notAfter.getTime() - d.notBefore.getTime()
  }

  private renewAt(): number {
    const d = describeCertificate(this.ca.certificate)
    return d.notBefore.getTime() + (this.lifetimeMs() * this.o.config.autoRenew.thresholdPercent) / 100
  }

  private validityDays(expiration: string | undefined): number {
    let days = MAX_LEAF_VALIDITY_DAYS
    if (expiration !== undefined) {
      const at = Date.parse(expiration)
      if (Number.isNaN(at)) throw errors.badRequest(`expiration '${expiration}' is not an ISO 8601 time`)
      if (at <= this.now()) throw errors.badRequest(`expiration '${expiration}' is in the past`)
      days = Math.min(days, (at - this.now()) / DAY_MS)
    }
    return days
  }

  private response(chain: string, privateKey: string): CertificateResponse {
    return { privateKey: { type: 'key', bytes: privateKey }, certificate: chain, expiration: describeCertificate(chain).notAfter.toISOString() }
  }

  private get files(): { cert: string; key: string } {
    return { cert: join(this.o.certsDir, EDGE_CA_CERT_FILE), key: join(this.o.certsDir, EDGE_CA_KEY_FILE) }
  }

  private async loadTrustBundle(): Promise<void> {
    const f = this.o.trustBundleCertFile
    if (!f) return
    try {
      this.userBundle = await readFile(f, 'utf8')
    } catch (err) {
      throw new ConfigError(this.o.configFile, [`trust_bundle_cert: ${f} cannot be read: ${(err as Error).message}`])
    }
    if (!this.userBundle.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(this.o.configFile, [`trust_bundle_cert: ${f} holds no PEM certificate`])
    if (!this.userBundle.endsWith('\n')) this.userBundle += '\n'
  }

  private async loadUserCa(): Promise<void> {
    const certFile = this.o.config.certFile!
    const keyFile = this.o.config.keyFile!
    const problems: string[] = []
    let certificate = ''
    let privateKey = ''
    try {
      certificate = await readFile(certFile, 'utf8')
      const x = new X509Certificate(certificate)
      if (!x.ca) problems.push(`edge_ca.cert: ${certFile} is not a CA certificate (basic constraints CA:TRUE)`)
      if (Date.parse(x.validTo) <= this.now()) problems.push(`edge_ca.cert: ${certFile} expired on ${new Date(x.validTo).toISOString()}`)
      privateKey = await readFile(keyFile, 'utf8')
      if (!x.checkPrivateKey(createPrivateKey(privateKey))) problems.push(`edge_ca.pk: ${keyFile} is not the private key of ${certFile}`)
    } catch (err) {
      problems.push(`edge_ca: ${(err as Error).message}`)
    }
    if (problems.length) throw new ConfigError(this.o.configFile, problems)
    this.ca = { certificate, privateKey }
    this.o.log.info({ event: 'edge_ca.loaded', certFile, notAfter: this.notAfter.toISOString() }, 'edge CA loaded from the configured files')
  }

  private async loadOrGenerate(): Promise<void> {
    await ensureDir(this.o.certsDir, 0o755)
    try {
      const certificate = await readFile(this.files.cert, 'utf8')
      const privateKey = await readFile(this.files.key, 'utf8')
      const d = describeCertificate(certificate)
      if (d.subject !== `CN=${edgeCaCommonName(this.o.deviceId)}`) return await this.generate(`the device changed (was '${d.subject}')`)
      this.ca = { certificate, privateKey }
      if (this.now() >= this.renewAt()) return await this.generate('its renewal time has passed')
      this.o.log.info({ event: 'edge_ca.loaded', notAfter: d.notAfter.toISOString() }, 'edge CA loaded')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.log.warn({ err, event: 'edge_ca.unreadable' }, 'the generated edge CA cannot be read; making a new one')
      await this.generate('first start')
    }
  }

  private async generate(why: string): Promise<void> {
    const ca = await createCertificateAuthority({ commonName: edgeCaCommonName(this.o.deviceId), validityDays: this.o.config.expiryDays, pathLength: 0 })
    await ensureDir(this.o.certsDir, 0o755)
    await writeFileAtomic(this.files.key, ca.privateKey, 0o600)
    await writeFileAtomic(this.files.cert, ca.certificate, 0o644)
    this.ca = ca
    this.o.log.info({ event: 'edge_ca.generated', why, notAfter: this.notAfter.toISOString() }, `edge CA generated (${why})`)
  }
}
