/**
 * Who is connected right now, and when each identity was last active. Connection state lives in memory (a hub
 * restart drops every connection anyway); last activity is written to the store in batches, because a write per
 * message would cost more than the message itself.
 */
import type { ConnectionState } from '@ledge/protocol'
import type { IdentityRepository, ActivityUpdate } from '@ledge/storage'
import type { Clock, Logger } from '@ledge/common'

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
  private readonly dirty = new Map<string, ActivityUpdate>()
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

  /** Records activity (a message, a twin call); written to the store on the next flush. */
  touch(deviceId: string, moduleId?: string | null): void {
    const key = identityKey(deviceId, moduleId)
    const now = this.d.clock.now()
    const e = this.entries.get(key)
    if (e) e.lastActivity = now
    this.dirty.set(key, { deviceId, moduleId: moduleId ?? null, lastActivityTime: new Date(now).toISOString() })
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
    this.entries.delete(identityKey(deviceId, moduleId))
    this.dirty.delete(identityKey(deviceId, moduleId))
  }

  connectedCount(): number {
    let n = 0
    for (const e of this.entries.values()) if (e.state === 'Connected') n++
    return n
  }

  async flush(): Promise<void> {
    if (this.dirty.size === 0) return
    const batch = [...this.dirty.values()]
    this.dirty.clear()
    try {
      await this.d.identities.recordActivity(batch)
    } catch (err) {
      this.d.log.warn({ err, event: 'presence.flush_failed' }, 'could not record last activity; will retry')
      for (const u of batch) this.dirty.set(identityKey(u.deviceId, u.moduleId), u)
    }
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer)
    await this.flush()
  }
}
