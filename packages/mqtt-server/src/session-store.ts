/**
 * MQTT sessions for clean=false clients. The Azure SDK reconnects on every SAS renewal with clean=false and does not
 * subscribe again (reference: azure-sdk-wire.md §3), so a session's subscriptions must outlive the connection, and
 * the server itself: persistent sessions are written to a repository and read back after a restart.
 */
import type { SubscriptionKind } from '@ledge/protocol'
import type { Logger } from '@ledge/common'

const KINDS: ReadonlySet<string> = new Set<SubscriptionKind>(['c2d', 'inputs', 'twinResponses', 'twinDesired', 'methods'])

/** Where persistent sessions live (the hub's SQLite store, the edge hub's state file). */
export interface SessionRepository {
  get(clientId: string): Promise<string[] | undefined>
  put(clientId: string, subscriptions: string[]): Promise<void>
  delete(clientId: string): Promise<unknown>
  deleteForDevice(deviceId: string): Promise<unknown>
}

export interface Session {
  readonly clientId: string
  readonly subscriptions: Set<SubscriptionKind>
  /** Whether the session is kept after the connection ends (clean=false). */
  persistent: boolean
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>()

  constructor(private readonly d: { repository: SessionRepository; log: Logger }) {}

  /** Returns the session for a CONNECT and whether it existed (CONNACK sessionPresent). */
  async open(clientId: string, clean: boolean): Promise<{ session: Session; present: boolean }> {
    if (clean) {
      // MQTT-3.1.2-6: a clean session discards any previous one.
      const session: Session = { clientId, subscriptions: new Set(), persistent: false }
      this.sessions.set(clientId, session)
      await this.d.repository.delete(clientId)
      return { session, present: false }
    }
    const inMemory = this.sessions.get(clientId)
    if (inMemory?.persistent) return { session: inMemory, present: true }
    const stored = await this.d.repository.get(clientId)
    const session: Session = {
      clientId,
      subscriptions: new Set((stored ?? []).filter((k): k is SubscriptionKind => KINDS.has(k))),
      persistent: true,
    }
    this.sessions.set(clientId, session)
    if (!stored) await this.d.repository.put(clientId, [])
    return { session, present: stored !== undefined }
  }

  /** Records a change of a session's subscriptions. */
  changed(session: Session): void {
    if (!session.persistent) return
    this.d.repository.put(session.clientId, [...session.subscriptions]).catch((err: unknown) =>
      this.d.log.warn({ err, event: 'session.save_failed', clientId: session.clientId }, 'could not save an MQTT session'))
  }

  /** Ends a connection's use of its session: a clean session is discarded. */
  release(session: Session): void {
    if (!session.persistent && this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId)
  }

  /** Drops the sessions of a deleted device and its modules, or of one deleted module. */
  async discard(deviceId: string, moduleId: string | null): Promise<void> {
    if (moduleId) {
      this.sessions.delete(`${deviceId}/${moduleId}`)
      await this.d.repository.delete(`${deviceId}/${moduleId}`)
      return
    }
    for (const id of this.sessions.keys()) if (id === deviceId || id.startsWith(`${deviceId}/`)) this.sessions.delete(id)
    await this.d.repository.deleteForDevice(deviceId)
  }

  get size(): number {
    return this.sessions.size
  }
}
