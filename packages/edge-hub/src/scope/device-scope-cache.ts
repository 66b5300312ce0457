/**
 * The device scope cache (iotedge `DeviceScopeIdentitiesCache` with `AuthenticationMode=Scope`): the identities the
 * edge hub may authenticate (its device and modules, its leaf and child devices and their modules) with their keys,
 * in memory and in a file, so that clients connect while the hub is unreachable.
 *
 * - `start()` loads the file, then refreshes from the hub now and every `refreshIntervalMs` (Azure: 1 hour); a failed
 *   refresh keeps what is cached and is retried sooner (back-off from 10 s up to the interval).
 * - An identity that is not cached, or whose token does not verify against the cached keys (they may have been
 *   rotated), is fetched on its own, at most once per `onDemandMinIntervalMs` per identity.
 * - `authenticate()` checks a SAS token locally: format, expiry, `sr` (the hub host name and exactly this identity),
 *   signature with the primary or secondary key, and the status (a module follows its device).
 * - `onRevoked()` tells the broker which identities a refresh removed, disabled or gave new keys, so it can close
 *   their connections.
 */
import { AppError, backoffDelay, silentLogger, systemClock, type Clock, type Logger } from '@ledge/common'
import { createIdentitySasToken, normaliseResourceUri, parseSasToken, SasTokenFormatError, verifySasSignature } from '@ledge/protocol'
import { DeviceScopeClient, type DeviceScopeClientOptions, type ScopeSource } from './scope-client.js'
import { loadScopeFile, saveScopeFile } from './scope-file.js'
import { describeIdentity, keyOf, type ClientIdentity, type ServiceIdentity } from './service-identity.js'

export const DEFAULT_SCOPE_REFRESH_MS = 3600_000
export const DEFAULT_ON_DEMAND_MIN_INTERVAL_MS = 30_000
const RETRY_BACKOFF = { initialMs: 10_000, maxMs: DEFAULT_SCOPE_REFRESH_MS, jitter: 0.5 }

export type AuthRefusal = 'malformed' | 'expired' | 'wrong_resource' | 'policy_token' | 'unknown_identity' | 'disabled' | 'not_sas' | 'bad_signature'

export type AuthOutcome =
  | { ok: true; identity: ServiceIdentity; /** The token's expiry in epoch ms (`se` × 1000): the connection must not outlive it. */ expiresAt: number }
  | { ok: false; refusal: AuthRefusal; reason: string }

export interface DeviceScopeCacheOptions {
  hubHostname: string
  edgeDeviceId: string
  /** Where identities come from; usually {@link DeviceScopeClient} (see {@link createDeviceScopeCache}). */
  source: ScopeSource
  /** The cache file (0600); without one the cache lives in memory only. */
  file?: string
  refreshIntervalMs?: number
  onDemandMinIntervalMs?: number
  clock?: Clock
  logger?: Logger
}

export type RevokedListener = (identity: ClientIdentity, why: 'removed' | 'disabled' | 'keys_changed') => void

/** The broker's `ClientAuthenticator` port is `scopeAuthenticator(cache)` (scope-authenticator.ts: seconds there). */
export class DeviceScopeCache {
  private identities = new Map<string, ServiceIdentity>()
  private refreshedAt: number | undefined
  private readonly lastOnDemand = new Map<string, number>()
  private readonly onDemand = new Map<string, Promise<void>>()
  private readonly revokedListeners = new Set<RevokedListener>()
  private timer: { cancel(): void } | undefined
  private refreshing: Promise<void> | undefined
  private failures = 0
  private stopped = true
  private saving: Promise<void> = Promise.resolve()
  private readonly clock: Clock
  private readonly log: Logger

  constructor(private readonly o: DeviceScopeCacheOptions) {
    this.clock = o.clock ?? systemClock
    this.log = o.logger ?? silentLogger()
  }

  /** Loads the file (a bad file is logged and ignored), then starts refreshing; resolves once the file is loaded. */
  async start(): Promise<void> {
    this.stopped = false
    if (this.o.file) {
      try {
        const f = await loadScopeFile(this.o.file, this.o)
        if (f) {
          this.identities = new Map(f.identities.map((i) => [keyOf(i), i]))
          this.refreshedAt = f.refreshedAt
          this.log.info({ event: 'scope.loaded', identities: this.identities.size, refreshedAt: new Date(f.refreshedAt).toISOString() }, 'device scope loaded from its file')
        }
      } catch (err) {
        this.log.warn({ event: 'scope.file_unusable', err, file: this.o.file }, 'device scope file unusable; starting empty')
      }
    }
    this.schedule(0)
  }

  stop(): Promise<void> {
    this.stopped = true
    this.timer?.cancel()
    this.timer = undefined
    return this.saving
  }

  get size(): number {
    return this.identities.size
  }

  /** Epoch ms of the last successful full refresh (from the file until the first one here). */
  get lastRefresh(): number | undefined {
    return this.refreshedAt
  }

  get(identity: ClientIdentity): ServiceIdentity | undefined {
    return this.identities.get(keyOf(identity))
  }

  all(): ServiceIdentity[] {
    return [...this.identities.values()]
  }

  /** The identity's SAS keys, or undefined when it is not cached or has none. */
  keysFor(identity: ClientIdentity): { primaryKey: string; secondaryKey?: string } | undefined {
    const sk = this.get(identity)?.authentication.symmetricKey
    if (!sk?.primaryKey) return undefined
    return { primaryKey: sk.primaryKey, ...(sk.secondaryKey ? { secondaryKey: sk.secondaryKey } : {}) }
  }

  /**
   * A SAS token for `identity` signed with its primary key from the scope (what its upstream connection presents),
   * as the device SDK makes it; the identity is fetched first when it is not cached. Rejects when it has no key.
   */
  async tokenFor(identity: ClientIdentity, lifetimeSeconds = 3600): Promise<string> {
    let keys = this.keysFor(identity)
    if (!keys) {
      await this.refreshIdentity(identity)
      keys = this.keysFor(identity)
    }
    if (!keys) throw new AppError('ERR_SCOPE_NO_KEYS', 'unauthorized', `no SAS key for ${describeIdentity(identity)} in the device scope of edge device '${this.o.edgeDeviceId}'`)
    return createIdentitySasToken({
      hostName: this.o.hubHostname, deviceId: identity.deviceId, ...(identity.moduleId ? { moduleId: identity.moduleId } : {}),
      keyBase64: keys.primaryKey, expiresAt: this.clock.now() / 1000 + lifetimeSeconds,
    })
  }

  onRevoked(listener: RevokedListener): () => void {
    this.revokedListeners.add(listener)
    return () => this.revokedListeners.delete(listener)
  }

  /** Fetches the whole scope now (concurrent calls share one fetch); rejects when the hub cannot be reached. */
  refresh(): Promise<void> {
    this.refreshing ??= this.fullRefresh().finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer?.cancel()
    this.timer = this.clock.setTimeout(() => {
      this.refresh().then(
        () => {
          this.failures = 0
          this.schedule(this.o.refreshIntervalMs ?? DEFAULT_SCOPE_REFRESH_MS)
        },
        (err: unknown) => {
          const delay = Math.min(backoffDelay(this.failures++, RETRY_BACKOFF), this.o.refreshIntervalMs ?? DEFAULT_SCOPE_REFRESH_MS)
          this.log.warn({ event: 'scope.refresh_failed', err, retryInMs: delay, cached: this.identities.size }, 'device scope refresh failed; keeping the cached scope')
          this.schedule(delay)
        },
      )
    }, ms)
  }

  private async fullRefresh(): Promise<void> {
    const fetched = await this.o.source.fetchAll()
    const next = new Map(fetched.map((i) => [keyOf(i), i]))
    const before = this.identities
    this.identities = next
    this.refreshedAt = this.clock.now()
    for (const [key, old] of before) this.compare(key, old, next.get(key))
    this.log.info({ event: 'scope.refreshed', identities: next.size }, 'device scope refreshed')
    await this.persist()
  }

  /** Tells listeners when an identity went away, was disabled or got new keys. */
  private compare(key: string, old: ServiceIdentity, now: ServiceIdentity | undefined): void {
    const id: ClientIdentity = { deviceId: old.deviceId, ...(old.moduleId ? { moduleId: old.moduleId } : {}) }
    let why: Parameters<RevokedListener>[1] | undefined
    if (!now) why = 'removed'
    else if (now.status === 'disabled' && old.status !== 'disabled') why = 'disabled'
    else if (now.authentication.symmetricKey?.primaryKey !== old.authentication.symmetricKey?.primaryKey ||
      now.authentication.symmetricKey?.secondaryKey !== old.authentication.symmetricKey?.secondaryKey) why = 'keys_changed'
    if (!why) return
    this.log.info({ event: 'scope.identity_revoked', identity: key, why }, `${describeIdentity(id)} ${why.replace('_', ' ')}`)
    for (const l of this.revokedListeners) {
      try {
        l(id, why)
      } catch (err) {
        this.log.warn({ event: 'scope.listener_failed', err }, 'device scope listener threw')
      }
    }
  }

  private persist(): Promise<void> {
    const file = this.o.file
    if (!file) return Promise.resolve()
    const content = { hubHostname: this.o.hubHostname, edgeDeviceId: this.o.edgeDeviceId, refreshedAt: this.refreshedAt ?? this.clock.now(), identities: this.all() }
    this.saving = this.saving.then(() => saveScopeFile(file, content)).catch((err: unknown) => {
      this.log.warn({ event: 'scope.save_failed', err, file }, 'could not save the device scope file')
    })
    return this.saving
  }

  /**
   * Fetches one identity now, unless it was fetched less than `onDemandMinIntervalMs` ago (rate limit: a client
   * retrying a bad token must not hammer the hub). Failures are logged: the cached state stays.
   */
  refreshIdentity(identity: ClientIdentity): Promise<void> {
    const key = keyOf(identity)
    const inFlight = this.onDemand.get(key)
    if (inFlight) return inFlight
    const last = this.lastOnDemand.get(key)
    const now = this.clock.now()
    if (last !== undefined && now - last < (this.o.onDemandMinIntervalMs ?? DEFAULT_ON_DEMAND_MIN_INTERVAL_MS)) return Promise.resolve()
    this.lastOnDemand.set(key, now)
    const p = (async () => {
      try {
        const fetched = await this.o.source.fetchOne(identity)
        const old = this.identities.get(key)
        if (fetched) this.identities.set(key, fetched)
        else this.identities.delete(key)
        if (old) this.compare(key, old, fetched)
        if (fetched || old) {
          this.log.info({ event: 'scope.identity_refreshed', identity: key, found: Boolean(fetched) }, `${describeIdentity(identity)} refreshed from the hub`)
          await this.persist()
        }
      } catch (err) {
        this.log.warn({ event: 'scope.identity_refresh_failed', identity: key, err }, `could not refresh ${describeIdentity(identity)} from the hub`)
      } finally {
        this.onDemand.delete(key)
      }
    })()
    this.onDemand.set(key, p)
    return p
  }

  /** Checks a client's SAS token against the cached scope (see the file's header). Never throws. */
  async authenticate(identity: ClientIdentity, sasToken: string | undefined): Promise<AuthOutcome> {
    const who = describeIdentity(identity)
    if (!sasToken) return refuse('malformed', `${who} gave no SAS token`)
    let token
    try {
      token = parseSasToken(sasToken)
    } catch (err) {
      if (err instanceof SasTokenFormatError) return refuse('malformed', err.message)
      throw err
    }
    if (token.se * 1000 <= this.clock.now()) return refuse('expired', `SAS token expired at ${new Date(token.se * 1000).toISOString()}`)
    const resource = normaliseResourceUri(token.sr)
    const expected = `${this.o.hubHostname.toLowerCase()}/devices/${identity.deviceId}${identity.moduleId ? `/modules/${identity.moduleId}` : ''}`
    if (resource !== expected) return refuse('wrong_resource', `SAS token is for '${resource}', not for '${expected}'`)
    if (token.skn) return refuse('policy_token', `SAS tokens signed with a shared access policy ('${token.skn}') cannot be checked by the edge hub: use the ${identity.moduleId ? 'module' : 'device'} key`)

    let entry = this.get(identity)
    if (!entry) {
      await this.refreshIdentity(identity)
      entry = this.get(identity)
      if (!entry) return refuse('unknown_identity', `${who} is not in the device scope of edge device '${this.o.edgeDeviceId}'`)
    }
    const verifies = (e: ServiceIdentity): boolean =>
      [e.authentication.symmetricKey?.primaryKey, e.authentication.symmetricKey?.secondaryKey].some((k) => k && verifySasSignature(token, k))
    if (!verifies(entry)) {
      // The keys may have been regenerated since the last refresh.
      await this.refreshIdentity(identity)
      const again = this.get(identity)
      if (!again) return refuse('unknown_identity', `${who} is not in the device scope of edge device '${this.o.edgeDeviceId}'`)
      entry = again
    }
    const status = this.statusOf(entry)
    if (status === 'disabled') return refuse('disabled', `${who} is disabled`)
    if (entry.authentication.type !== 'sas' && !entry.authentication.symmetricKey?.primaryKey) return refuse('not_sas', `${who} authenticates with ${entry.authentication.type}, not a SAS key`)
    if (!verifies(entry)) return refuse('bad_signature', `SAS token signature does not match the keys of ${who}`)
    return { ok: true, identity: entry, expiresAt: token.se * 1000 }
  }

  /** A module is disabled when its device is. */
  private statusOf(entry: ServiceIdentity): 'enabled' | 'disabled' {
    if (entry.status === 'disabled') return 'disabled'
    if (entry.moduleId) return this.get({ deviceId: entry.deviceId })?.status ?? 'enabled'
    return 'enabled'
  }
}

function refuse(refusal: AuthRefusal, reason: string): AuthOutcome {
  return { ok: false, refusal, reason }
}

/** A cache that fetches from the hub's device-scope API with the edge hub's own token. */
export function createDeviceScopeCache(o: Omit<DeviceScopeCacheOptions, 'source'> & Omit<DeviceScopeClientOptions, 'hubHostname' | 'edgeDeviceId'>): DeviceScopeCache {
  const client = new DeviceScopeClient({
    hubHostname: o.hubHostname, edgeDeviceId: o.edgeDeviceId, tokenSource: o.tokenSource,
    ...(o.apiHost ? { apiHost: o.apiHost } : {}), ...(o.ca ? { ca: o.ca } : {}),
    ...(o.pageSize ? { pageSize: o.pageSize } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  })
  return new DeviceScopeCache({ ...o, source: client })
}
