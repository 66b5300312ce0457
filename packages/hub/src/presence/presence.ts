/**
 * Who is connected right now, and when each identity was last active. Connection state lives in memory (a hub
 * restart drops every connection anyway); last activity is written to the store in batches, because a write per
 * message would cost more than the message itself.
 */
import type { ConnectionState } from '@ledge/protocol'
import type { IdentityRepository, ActivityUpdate } from '@ledge/storage'
import type { Clock, Logger } from '@ledge/common'

/** Last activity is written to the store at most once a minute per identity (IoT Hub's is approximate too). */
export const PERSIST_GRANULARITY_MS = 60_000
/** Rows per write when flushing, so that 10,000 devices do not hold the event loop in one transaction. */
const FLUSH_CHUNK = 250

export function identityKey(deviceId: string, moduleId?: string | null): string {
  return moduleId ? `${deviceId}/${moduleId}` : deviceId
}

interface Entry {
  state: ConnectionState
  stateUpdated: number
  lastActivity: number
}

export interface PresenceView {
  connectionState: ConnectionState
  connectionStateUpdatedTime: string | undefined
  lastActivityTime: string | undefined
}

export class Presence {
  private readonly entries = new Map<string, Entry>()
  private readonly dirty = new Map<string, { deviceId: string; moduleId: string | null; at: number }>()
  /** When each identity's last activity was last written to the store. */
  private readonly persisted = new Map<string, number>()
  private flushTimer: ReturnType<typeof setInterval> | undefined

  constructor(private readonly d: { identities: IdentityRepository; clock: Clock; log: Logger; flushIntervalMs?: number }) {}

  start(): void {
    this.flushTimer = setInterval(() => void this.flush(), this.d.flushIntervalMs ?? 5000)
    this.flushTimer.unref()
  }

  connected(deviceId: string, moduleId?: string | null): void {
    const now = this.d.clock.now()
    this.entries.set(identityKey(deviceId, moduleId), { state: 'Connected', stateUpdated: now, lastActivity: now })
    this.touch(deviceId, moduleId)
  }

  disconnected(deviceId: string, moduleId?: string | null): void {
    const key = identityKey(deviceId, moduleId)
    const e = this.entries.get(key)
    if (e) {
      e.state = 'Disconnected'
      e.stateUpdated = this.d.clock.now()
    }
  }

  /**
   * Records activity (a message, a twin call). This runs for every message, so it only stores a number; the store
   * learns of it on a later flush, and only when it moved by {@link PERSIST_GRANULARITY_MS} since it was last written.
   */
  touch(deviceId: string, moduleId?: string | null): void {
    const key = identityKey(deviceId, moduleId)
    const now = this.d.clock.now()
    const e = this.entries.get(key)
    if (e) e.lastActivity = now
    const d = this.dirty.get(key)
    if (d) d.at = now
    else if (now - (this.persisted.get(key) ?? 0) >= PERSIST_GRANULARITY_MS) this.dirty.set(key, { deviceId, moduleId: moduleId ?? null, at: now })
  }

  isConnected(deviceId: string, moduleId?: string | null): boolean {
    return this.entries.get(identityKey(deviceId, moduleId))?.state === 'Connected'
  }

  view(deviceId: string, moduleId?: string | null): PresenceView {
    const e = this.entries.get(identityKey(deviceId, moduleId))
    return {
      connectionState: e?.state ?? 'Disconnected',
      connectionStateUpdatedTime: e ? new Date(e.stateUpdated).toISOString() : undefined,
      lastActivityTime: e ? new Date(e.lastActivity).toISOString() : undefined,
    }
  }

  forget(deviceId: string, moduleId?: string | null): void {
    const key = identityKey(deviceId, moduleId)
    this.entries.delete(key)
    this.dirty.delete(key)
    this.persisted.delete(key)
  }

  connectedCount(): number {
    let n = 0
    for (const e of this.entries.values()) if (e.state === 'Connected') n++
    return n
  }

  /** Writes pending last-activity times in chunks, yielding between them so that message handling is not held up. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return
    const batch = [...this.dirty.entries()]
    this.dirty.clear()
    for (let i = 0; i < batch.length; i += FLUSH_CHUNK) {
      const chunk = batch.slice(i, i + FLUSH_CHUNK)
      const updates: ActivityUpdate[] = chunk.map(([, u]) => ({ deviceId: u.deviceId, moduleId: u.moduleId, lastActivityTime: new Date(u.at).toISOString() }))
      try {
        await this.d.identities.recordActivity(updates)
        for (const [key, u] of chunk) this.persisted.set(key, u.at)
      } catch (err) {
        this.d.log.warn({ err, event: 'presence.flush_failed' }, 'could not record last activity; will retry')
        for (const [key, u] of chunk) if (!this.dirty.has(key)) this.dirty.set(key, u)
      }
      if (i + FLUSH_CHUNK < batch.length) await new Promise((r) => setImmediate(r))
    }
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer)
    await this.flush()
  }
}
