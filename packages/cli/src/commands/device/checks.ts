/**
 * The checks of `ledge check` (iotedge's `check`, plus what `aziotctl check` covers for identity and time). Each one
 * looks at one thing and says ok, warning, error or skipped (it needs something that failed earlier), with details.
 * They share the loaded config, the daemon's `/systeminfo` and one HTTPS request to the hub (its status, its TLS and
 * its `Date` header), each computed once.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { LoadedConfig } from '@ledge/edge-daemon'
import { API_VERSION, createIdentitySasToken, type ModuleDetails, type ModuleList, type SystemInfo } from '@ledge/protocol'
import { containerEngineOutcome } from './container-engine.js'
import { describeNetError, httpsProbe, parseEndpoint, tlsProbe, type HttpsProbeResult } from './probes.js'
import { describeModule } from './time.js'
import type { DeviceTarget } from './target.js'

export type CheckResultKind = 'ok' | 'warning' | 'error' | 'skipped'

export interface CheckResult {
  id: string
  description: string
  result: CheckResultKind
  details: string[]
}

export interface CheckReport {
  checks: CheckResult[]
  summary: Record<CheckResultKind, number>
}

export const CHECK_GROUPS = ['Configuration checks', 'Runtime checks', 'Connectivity checks'] as const
export type CheckGroup = (typeof CHECK_GROUPS)[number]

interface Outcome {
  result: CheckResultKind
  details: string[]
}

interface CheckDef {
  id: string
  description: string
  group: CheckGroup
  run(env: CheckEnv): Promise<Outcome>
}

/** Under this many days the edge CA or a trust bundle certificate is reported. */
export const EXPIRY_WARNING_DAYS = 30
/** Clock skew: up to this is fine; up to {@link CLOCK_ERROR_MS} a warning; more breaks SAS tokens and TLS. */
export const CLOCK_OK_MS = 10_000
export const CLOCK_ERROR_MS = 5 * 60_000
const MIB = 1024 * 1024
export const DISK_ERROR_BYTES = 100 * MIB
export const DISK_WARNING_BYTES = 1024 * MIB
const DAY_MS = 24 * 3600 * 1000
const DEFAULT_MQTT_PORT = 8883

const ok = (...details: string[]): Outcome => ({ result: 'ok', details })
const warning = (...details: string[]): Outcome => ({ result: 'warning', details })
const error = (...details: string[]): Outcome => ({ result: 'error', details })
const skipped = (...details: string[]): Outcome => ({ result: 'skipped', details })

const CONFIG_INVALID = 'the config file could not be loaded'
const NOT_REGISTERED = 'the device is provisioned through DPS and has not registered yet (start the daemon)'

function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined
  return () => (p ??= f())
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }

function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))
}

/** What the checks share. */
class CheckEnv {
  constructor(readonly target: DeviceTarget, readonly now = Date.now()) {}

  readonly loaded = once(async (): Promise<LoadedConfig | undefined> => (await this.target.tryConfig()).loaded)

  readonly systemInfo = once(() => settle((async () => {
    const client = await this.target.client()
    return { info: await client.json<SystemInfo>('GET', '/systeminfo'), uri: client.uri }
  })()))

  readonly hubCa = once(async (): Promise<Settled<string | undefined>> => {
    const file = (await this.loaded())?.config.ledge.hubCaCertFile
    if (file === undefined) return { ok: true, value: undefined }
    return settle(readFile(file, 'utf8'))
  })

  /** The hub and device: the config's (manual), or the cached DPS assignment (undefined until the daemon registered). */
  readonly device = once(async (): Promise<{ iothubHostname: string; deviceId: string } | undefined> => {
    const c = (await this.loaded())?.config
    if (!c) return undefined
    if (c.provisioning.source === 'manual') return c.provisioning
    return (await this.target.pkg()).readDpsCache(c.ledge.homeDir)
  })

  readonly deviceKey = once(async (): Promise<string | undefined> => {
    const k = (await this.loaded())?.config.provisioning.deviceKey
    if (k === undefined) return undefined
    if ('value' in k) return k.value
    return readFile(k.file, 'utf8').then((t) => t.trim(), () => undefined)
  })

  /** One authenticated request to the hub as the device: TLS, credentials and the `Date` header at once. */
  readonly hubHttps = once(async (): Promise<Settled<HttpsProbeResult & { authenticated: boolean }>> => {
    const c = (await this.loaded())!.config
    const ca = await this.hubCa()
    if (!ca.ok) return ca
    const key = await this.deviceKey()
    const dev = await this.device()
    if (!dev) return { ok: false, error: new Error(NOT_REGISTERED) }
    const { iothubHostname: host, deviceId } = dev
    const headers: Record<string, string> = key
      ? { authorization: createIdentitySasToken({ hostName: host, deviceId, keyBase64: key, expiresAt: Math.floor(Date.now() / 1000) + 300 }) }
      : {}
    const path = `/devices/${encodeURIComponent(deviceId)}/modules?api-version=${API_VERSION}`
    return settle(httpsProbe({ host, port: c.ledge.hubHttpsPort, path, headers, ...(ca.value ? { caPem: ca.value } : {}) }).then((r) => ({ ...r, authenticated: key !== undefined })))
  })
}

// ---- Configuration -------------------------------------------------------------------------------------------------

async function configFileCheck(env: CheckEnv): Promise<Outcome> {
  const a = await env.target.tryConfig()
  if (a.error) {
    const pkg = await env.target.pkg()
    const cause = a.error.cause
    if (cause instanceof pkg.ConfigError) return error(...cause.problems.map((p) => `${cause.file}: ${p}`))
    return error(a.error.message)
  }
  const { config, warnings } = a.loaded
  const p = config.provisioning
  const details = [p.source === 'manual'
    ? `${config.file}: device '${p.deviceId}' of hub '${p.iothubHostname}'`
    : `${config.file}: registration '${p.registrationId}' with DPS at ${p.endpoint} (id scope ${p.idScope})`]
  const problems = warnings.map((w) => `${config.file}: ${w}`)
  const holdsKey = 'value' in config.provisioning.deviceKey
  const mode = (await stat(config.file)).mode & 0o777
  if (holdsKey && (mode & 0o077) !== 0) {
    problems.push(`${config.file} holds the device key but others may read it (mode 0${mode.toString(8)}): chmod 600 ${config.file}`)
  }
  return problems.length > 0 ? warning(...problems, ...details) : ok(...details)
}

function firstCertificate(pem: string): X509Certificate {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)
  if (!m) throw new Error('holds no PEM certificate')
  return new X509Certificate(m[0])
}

function allCertificates(pem: string): X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]))
}

const day = (t: number): string => new Date(t).toISOString().slice(0, 10)
const subjectCn = (c: X509Certificate): string => /CN=([^\n]+)/.exec(c.subject)?.[1] ?? c.subject.replace(/\n/g, ', ')

async function edgeCaCheck(env: CheckEnv): Promise<Outcome> {
  const loaded = await env.loaded()
  if (!loaded) return skipped(CONFIG_INVALID)
  const c = loaded.config
  const userCa = c.edgeCa.certFile !== undefined
  const file = c.edgeCa.certFile ?? join(c.ledge.homeDir, 'certs', 'edge-ca.pem')
  let pem: string
  try {
    pem = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !userCa) return warning(`${file} does not exist yet: the daemon generates the edge CA when it starts`)
    return error(`${file} cannot be read: ${(err as Error).message}`)
  }
  let cert: X509Certificate
  try {
    cert = firstCertificate(pem)
  } catch (err) {
    return error(`${file}: ${(err as Error).message}`)
  }
  const notBefore = Date.parse(cert.validFrom)
  const notAfter = Date.parse(cert.validTo)
  const left = notAfter - env.now
  const what = `'${subjectCn(cert)}' (${file}) expires on ${day(notAfter)}`
  if (left <= 0) return error(`${what}: it has expired${userCa ? ': replace [edge_ca] cert' : ': restart the daemon to renew it'}`)
  if (env.now < notBefore) return error(`${what}, but is not valid before ${new Date(notBefore).toISOString()}: is the clock right?`)
  const days = Math.floor(left / DAY_MS)
  if (userCa) {
    const problems: string[] = []
    if (days < EXPIRY_WARNING_DAYS) problems.push(`${what}, in ${days} days: renew it (the daemon never renews a CA you supply)`)
    const keyProblem = await userKeyProblem(cert, c.edgeCa.keyFile!)
    if (keyProblem?.fatal) return error(keyProblem.text, what)
    if (keyProblem) problems.push(keyProblem.text)
    return problems.length > 0 ? warning(...problems) : ok(`${what} (in ${days} days)`)
  }
  // A generated CA is renewed by the daemon at `threshold` of its lifetime: a short remaining life is only a problem
  // once that point has passed (the daemon is not running, or renewal keeps failing).
  const renewAt = notBefore + ((notAfter - notBefore) * c.edgeCa.autoRenew.thresholdPercent) / 100
  const overdue = env.now > renewAt + 3600_000
  if (days < EXPIRY_WARNING_DAYS && overdue) {
    return warning(`${what}, in ${days} days, and its renewal (due ${day(renewAt)}) has not happened: is the daemon running? (its log says why renewal failed)`)
  }
  return ok(`${what} (in ${days} days); the daemon renews it on ${day(renewAt)}`)
}

async function userKeyProblem(cert: X509Certificate, keyFile: string): Promise<{ text: string; fatal: boolean } | undefined> {
  let keyPem: string
  try {
    keyPem = await readFile(keyFile, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EACCES' || code === 'EPERM') return { text: `${keyFile} cannot be read by this user, so its match with the certificate was not checked`, fatal: false }
    return { text: `[edge_ca] pk ${keyFile} cannot be read: ${(err as Error).message}`, fatal: true }
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return { text: `[edge_ca] pk ${keyFile} is not the key of the certificate`, fatal: true }
  } catch (err) {
    return { text: `[edge_ca] pk ${keyFile} is not a private key: ${(err as Error).message}`, fatal: true }
  }
  return undefined
}

async function trustBundleCheck(env: CheckEnv): Promise<Outcome> {
  const loaded = await env.loaded()
  if (!loaded) return skipped(CONFIG_INVALID)
  const c = loaded.config
  const files: [string, string][] = []
  if (c.trustBundleCertFile) files.push(['trust_bundle_cert', c.trustBundleCertFile])
  if (c.ledge.hubCaCertFile) files.push(['[ledge] hub_ca_cert', c.ledge.hubCaCertFile])
  if (files.length === 0) return ok("no extra certificates: modules trust the edge CA, and the daemon trusts the system store for the hub")
  const errs: string[] = []
  const warns: string[] = []
  const oks: string[] = []
  for (const [key, file] of files) {
    let certs: X509Certificate[]
    try {
      certs = allCertificates(await readFile(file, 'utf8'))
    } catch (err) {
      errs.push(`${key} ${file} cannot be read: ${(err as Error).message}`)
      continue
    }
    if (certs.length === 0) {
      errs.push(`${key} ${file} holds no PEM certificate`)
      continue
    }
    for (const cert of certs) {
      const left = Date.parse(cert.validTo) - env.now
      const what = `${key} ${file}: '${subjectCn(cert)}' expires on ${day(Date.parse(cert.validTo))}`
      if (left <= 0) warns.push(`${what}: it has expired`)
      else if (left < EXPIRY_WARNING_DAYS * DAY_MS) warns.push(`${what}, in ${Math.floor(left / DAY_MS)} days`)
      else oks.push(what)
    }
  }
  if (errs.length > 0) return error(...errs, ...warns)
  return warns.length > 0 ? warning(...warns, ...oks) : ok(...oks)
}

const gib = (n: number): string => `${(n / 1024 / MIB).toFixed(1)} GiB`

async function storageCheck(env: CheckEnv): Promise<Outcome> {
  const loaded = await env.loaded()
  if (!loaded) return skipped(CONFIG_INVALID)
  const home = loaded.config.ledge.homeDir
  try {
    const probe = await mkdtemp(join(home, '.ledge-check-'))
    await rm(probe, { recursive: true, force: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return warning(`${home} does not exist yet: the daemon creates it when it starts`)
    if (code === 'EACCES' || code === 'EPERM') return error(`${home} is not writable by this user: run ledge check as the daemon's user (or root)`)
    return error(`${home} is not writable: ${(err as Error).message}`)
  }
  const s = await statfs(home)
  const free = s.bavail * s.bsize
  const total = s.blocks * s.bsize
  const line = `${home}: ${gib(free)} free of ${gib(total)}`
  if (free < DISK_ERROR_BYTES) return error(`${line}: the daemon, the agent's state and module logs need room`)
  if (free < DISK_WARNING_BYTES || (total > 0 && free / total < 0.05)) return warning(`${line}: little space left`)
  return ok(line)
}

// ---- Runtime -------------------------------------------------------------------------------------------------------

async function daemonCheck(env: CheckEnv): Promise<Outcome> {
  const r = await env.systemInfo()
  if (!r.ok) return error((r.error as Error).message)
  const { info, uri } = r.value
  return ok(`${uri}: edge daemon ${info.version} on ${info.osType}/${info.architecture}`)
}

async function containerEngineCheck(env: CheckEnv): Promise<Outcome> {
  const loaded = await env.loaded()
  if (!loaded) return skipped(CONFIG_INVALID)
  return containerEngineOutcome(loaded.config.moby)
}

async function modulesCheck(env: CheckEnv): Promise<Outcome> {
  const r = await env.systemInfo()
  if (!r.ok) return skipped('the edge daemon cannot be reached')
  const client = await env.target.client()
  const list = await settle(client.json<ModuleList>('GET', '/modules'))
  if (!list.ok) return error((list.error as Error).message)
  const modules = [...(list.value?.modules ?? [])].sort((a, b) => a.name.localeCompare(b.name))
  const agentName = (await env.loaded())?.config.agent.name ?? 'edgeAgent'
  const line = (m: ModuleDetails): string => `${m.name}: ${describeModule(m, env.now)}`
  const bad = modules.filter((m) => m.status.runtimeStatus.status === 'failed' || m.status.runtimeStatus.status === 'dead')
  const idle = modules.filter((m) => m.status.runtimeStatus.status === 'stopped' || m.status.runtimeStatus.status === 'unknown')
  const errs = bad.map(line)
  if (!modules.some((m) => m.name === agentName)) errs.unshift(`the edge agent '${agentName}' does not exist: the daemon's watchdog creates it (see the daemon's log)`)
  const running = modules.length - bad.length - idle.length
  const summary = `${running} of ${modules.length} modules running`
  if (errs.length > 0) return error(...errs, ...idle.map(line), summary)
  if (idle.length > 0) return warning(...idle.map((m) => `${line(m)}: fine if its deployment says stopped`), summary)
  return ok(summary, ...modules.map(line))
}

// ---- Connectivity --------------------------------------------------------------------------------------------------

async function hubHttpsCheck(env: CheckEnv): Promise<Outcome> {
  const loaded = await env.loaded()
  if (!loaded) return skipped(CONFIG_INVALID)
  const c = loaded.config
  const dev = await env.device()
  if (!dev) return skipped(NOT_REGISTERED)
  const where = `https://${dev.iothubHostname}:${c.ledge.hubHttpsPort}`
  const ca = await env.hubCa()
  if (!ca.ok) return error(`[ledge] hub_ca_cert ${c.ledge.hubCaCertFile} cannot be read: ${(ca.error as Error).message}`)
  const r = await env.hubHttps()
  if (!r.ok) return error(`${where}: ${describeNetError(r.error)}`)
  const { status, tlsProtocol, authenticated } = r.value
  const tls = `${where}: TLS ${tlsProtocol ?? 'ok'}, trusting ${c.ledge.hubCaCertFile ? `${c.ledge.hubCaCertFile} and ` : ''}the system store`
  const device = dev.deviceId
  if (!authenticated) return warning(tls, "the device key could not be read, so the hub's acceptance of it was not checked (run as the daemon's user or root)")
  if (status === 200) return ok(tls, `the hub accepts the credentials of device '${device}'`)
  if (status === 401 || status === 403) return error(tls, `the hub refused the credentials of device '${device}' (${status}): is the key in the config the device's current key?`)
  if (status === 404) return error(tls, `the hub does not know device '${device}' (404)`)
  return warning(tls, `the hub answered ${status} to the device's request`)
}

async function hostTimeCheck(env: CheckEnv): Promise<Outcome> {
  const loaded = await env.loaded()
  if (!loaded) return skipped(CONFIG_INVALID)
  const r = await env.hubHttps()
  if (!r.ok) return skipped('the hub cannot be reached over HTTPS')
  const date = r.value.date === undefined ? NaN : Date.parse(r.value.date)
  if (Number.isNaN(date)) return skipped('the hub sent no Date header')
  // The header has whole seconds: up to a second of the difference is its rounding.
  const raw = r.value.localMidpoint - date
  const skew = Math.sign(raw) * Math.max(0, Math.abs(raw) - 1000)
  const secs = Math.round(Math.abs(skew) / 1000)
  const text = secs === 0
    ? `this host's clock is in step with the hub's (${r.value.date}, to the second)`
    : `this host's clock is ${secs} s ${skew > 0 ? 'ahead of' : 'behind'} the hub's (${r.value.date})`
  if (Math.abs(skew) <= CLOCK_OK_MS) return ok(text)
  if (Math.abs(skew) <= CLOCK_ERROR_MS) return warning(`${text}: synchronise it (NTP)`)
  return error(`${text}: SAS tokens and certificates fail with this skew; synchronise the clock (NTP)`)
}

async function hubMqttCheck(env: CheckEnv): Promise<Outcome> {
  const loaded = await env.loaded()
  if (!loaded) return skipped(CONFIG_INVALID)
  const c = loaded.config
  const ca = await env.hubCa()
  if (!ca.ok) return error(`[ledge] hub_ca_cert ${c.ledge.hubCaCertFile} cannot be read: ${(ca.error as Error).message}`)
  const dev = await env.device()
  if (!dev) return skipped(NOT_REGISTERED)
  const ep = parseEndpoint(c.ledge.upstreamGateway ?? (c.ledge.mqttPort !== undefined ? `${dev.iothubHostname}:${c.ledge.mqttPort}` : dev.iothubHostname), DEFAULT_MQTT_PORT)
  const where = `mqtts://${ep.host}:${ep.port}${c.parentHostname ? ' (the parent device)' : ''}`
  const r = await settle(tlsProbe({ ...ep, ...(ca.value ? { caPem: ca.value } : {}) }))
  if (!r.ok) return error(`${where}: ${describeNetError(r.error)}`)
  return ok(`${where}: TLS ${r.value.tlsProtocol ?? 'ok'}${r.value.peerSubject ? `, certificate '${r.value.peerSubject}'` : ''}`)
}

export const CHECKS: readonly CheckDef[] = [
  { id: 'config-file', group: 'Configuration checks', description: 'config file is valid', run: configFileCheck },
  { id: 'edge-ca', group: 'Configuration checks', description: 'edge CA certificate is valid and not about to expire', run: edgeCaCheck },
  { id: 'trust-bundle', group: 'Configuration checks', description: 'trust bundle certificates are valid', run: trustBundleCheck },
  { id: 'storage', group: 'Configuration checks', description: 'home folder is writable and has free disk space', run: storageCheck },
  { id: 'management-socket', group: 'Runtime checks', description: 'edge daemon answers on its management socket', run: daemonCheck },
  { id: 'container-engine', group: 'Runtime checks', description: 'container engine is reachable (when the Docker runtime is on)', run: containerEngineCheck },
  { id: 'modules', group: 'Runtime checks', description: 'modules are running', run: modulesCheck },
  { id: 'host-time', group: 'Connectivity checks', description: "host clock is close to the hub's", run: hostTimeCheck },
  { id: 'hub-https', group: 'Connectivity checks', description: "hub is reachable over HTTPS with TLS and accepts the device's key", run: hubHttpsCheck },
  { id: 'hub-mqtt', group: 'Connectivity checks', description: "hub's MQTT port completes a TLS handshake", run: hubMqttCheck },
]

export function groupOf(id: string): CheckGroup {
  return CHECKS.find((c) => c.id === id)?.group ?? 'Configuration checks'
}

/** Runs every check (concurrently; each one's failure is its own result) and returns them in order. */
export async function runChecks(target: DeviceTarget): Promise<CheckReport> {
  const env = new CheckEnv(target)
  const checks = await Promise.all(CHECKS.map(async (d): Promise<CheckResult> => {
    let o: Outcome
    try {
      o = await d.run(env)
    } catch (err) {
      o = error(`the check itself failed: ${(err as Error).message}`)
    }
    return { id: d.id, description: d.description, result: o.result, details: o.details }
  }))
  const summary: Record<CheckResultKind, number> = { ok: 0, warning: 0, error: 0, skipped: 0 }
  for (const c of checks) summary[c.result]++
  return { checks, summary }
}
