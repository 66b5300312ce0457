/**
 * Module and leaf twins as the edge hub serves them: from the cloud while the link is up (and copied to the cache),
 * from the cache while it is down. Reported patches go straight to the cloud when it is reachable; otherwise they are
 * applied to the cached copy and queued, and sent in order when the link returns. Desired patches from the cloud are
 * passed on to the connected client and applied to the cached copy. Each reported patch is also offered to the
 * routes as a twin change notification (`FROM /twinChangeNotifications`).
 */
import { AppError, type Logger } from '@ledge/common'
import { mergeTwinPatch, validateTwinDocument, TWIN_CHANGE_SOURCE, type RoutableMessage } from '@ledge/protocol'
import type { ConnectedClients } from '../broker/clients.js'
import { identityKey, type ClientIdentity } from '../identity.js'
import type { CloudLink, TwinDocument } from '../ports.js'
import type { TwinCache } from './twin-cache.js'

export interface LocalTwinsOptions {
  cloud: CloudLink
  cache: TwinCache
  clients: ConnectedClients
  log: Logger
  /** Offers a twin change notification to the routes. */
  notify?: (message: RoutableMessage) => Promise<unknown>
  onReported?: (identity: ClientIdentity, queued: boolean) => void
}

function parseKey(key: string): ClientIdentity {
  const [deviceId, moduleId] = key.split('/') as [string, string | undefined]
  return moduleId ? { deviceId, moduleId } : { deviceId }
}

export class LocalTwins {
  private readonly followed = new Set<string>()
  private flushing: Promise<void> | undefined

  constructor(private readonly o: LocalTwinsOptions) {
    o.cloud.onStatus((online) => {
      if (online) void this.flushPending()
    })
  }

  /** Writes the cache now (shutdown). */
  close(): void {
    this.o.cache.flush()
  }

  invalid(message: string): AppError {
    return new AppError('ERR_TWIN_INVALID', 'invalid', message)
  }

  async get(identity: ClientIdentity): Promise<TwinDocument> {
    const key = identityKey(identity.deviceId, identity.moduleId)
    if (this.o.cloud.online && this.o.cache.pending(key).length === 0) {
      try {
        const doc = await this.o.cloud.getTwin(identity)
        this.o.cache.put(key, doc)
        return doc
      } catch (err) {
        this.o.log.info({ err, event: 'twin.cloud_get_failed', key }, 'twin not available from the cloud; serving the cached copy')
      }
    }
    const cached = this.o.cache.get(key)
    if (!cached) throw new AppError('ERR_TWIN_UNAVAILABLE', 'unavailable', `the twin of '${key}' is not cached yet and the hub cannot be reached; try again when the edge device is online`)
    return cached
  }

  async patchReported(identity: ClientIdentity, patch: unknown): Promise<number> {
    const problem = validateTwinDocument(patch, 'reported properties')
    if (problem) throw this.invalid(problem)
    const body = patch as Record<string, unknown>
    const key = identityKey(identity.deviceId, identity.moduleId)
    const local = this.applyLocally(key, body)
    let version = local
    if (this.o.cloud.online && this.o.cache.pending(key).length === 0) {
      try {
        version = await this.o.cloud.patchReported(identity, body)
        this.setReportedVersion(key, version)
        this.o.onReported?.(identity, false)
      } catch (err) {
        this.o.log.info({ err, event: 'twin.reported_queued', key }, 'reported properties queued until the hub can be reached')
        this.o.cache.enqueue(key, body)
        this.o.onReported?.(identity, true)
      }
    } else {
      this.o.cache.enqueue(key, body)
      this.o.onReported?.(identity, true)
    }
    void this.o.notify?.({
      body: Buffer.from(JSON.stringify({ properties: { reported: body } })),
      systemProperties: { connectionDeviceId: identity.deviceId, ...(identity.moduleId ? { connectionModuleId: identity.moduleId } : {}), contentType: 'application/json', messageSchema: 'twinChangeNotification' },
      properties: {},
      source: TWIN_CHANGE_SOURCE,
    }).catch((err: unknown) => this.o.log.warn({ err, event: 'twin.notification_failed', key }, 'a twin change notification could not be routed'))
    return version
  }

  /** Passes the cloud's desired patches for `identity` on to its connection (once per identity). */
  follow(identity: ClientIdentity): void {
    const key = identityKey(identity.deviceId, identity.moduleId)
    if (this.followed.has(key)) return
    this.followed.add(key)
    this.o.cloud.onDesired(identity, (patch) => {
      const cached = this.o.cache.get(key)
      if (cached) this.o.cache.put(key, { ...cached, desired: { ...mergeTwinPatch(cached.desired, patch), $version: patch.$version ?? cached.desired.$version } })
      this.o.clients.get(identity.deviceId, identity.moduleId)?.sendDesiredPatch(patch)
    })
  }

  /** Sends the queued reported patches, oldest first, one identity after the other; stops at the first failure. */
  flushPending(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        for (const key of this.o.cache.keysWithPending()) {
          const identity = parseKey(key)
          for (let patch = this.o.cache.pending(key)[0]; patch; patch = this.o.cache.pending(key)[0]) {
            const version = await this.o.cloud.patchReported(identity, patch)
            this.o.cache.dequeue(key)
            this.setReportedVersion(key, version)
          }
        }
      } catch (err) {
        this.o.log.info({ err, event: 'twin.flush_interrupted' }, 'queued reported properties will be sent on the next reconnection')
      } finally {
        this.flushing = undefined
      }
    })()
    return this.flushing
  }

  private applyLocally(key: string, patch: Record<string, unknown>): number {
    const cached = this.o.cache.get(key) ?? { desired: { $version: 1 }, reported: { $version: 1 } }
    const reported = mergeTwinPatch(cached.reported, patch)
    const version = Number(cached.reported.$version ?? 1) + 1
    reported.$version = version
    this.o.cache.put(key, { ...cached, reported })
    return version
  }

  private setReportedVersion(key: string, version: number): void {
    const cached = this.o.cache.get(key)
    if (cached) this.o.cache.put(key, { ...cached, reported: { ...cached.reported, $version: version } })
  }
}
