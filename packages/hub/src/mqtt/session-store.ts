/**
 * MQTT sessions for clean=false clients. The Azure SDK reconnects on every SAS renewal with clean=false and does not
 * subscribe again, so a session's subscriptions must outlive the connection (reference: azure-sdk-wire.md §3).
 */
import type { SubscriptionKind } from '@ledge/protocol'

export interface Session {
  readonly clientId: string
  readonly subscriptions: Set<SubscriptionKind>
  /** Whether the session is kept after the connection ends (clean=false). */
  persistent: boolean
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>()

  /** Returns the session for a CONNECT and whether it existed (CONNACK sessionPresent). */
  open(clientId: string, clean: boolean): { session: Session; present: boolean } {
    const existing = this.sessions.get(clientId)
    if (clean || !existing) {
      const session: Session = { clientId, subscriptions: new Set(), persistent: !clean }
      this.sessions.set(clientId, session)
      return { session, present: false }
    }
    existing.persistent = true
    return { session: existing, present: true }
  }

  /** Ends a connection's use of its session: a clean session is discarded. */
  release(session: Session): void {
    if (!session.persistent && this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId)
  }

  /** Drops a session whatever its kind (the identity was deleted). */
  discard(clientId: string): void {
    this.sessions.delete(clientId)
  }

  get size(): number {
    return this.sessions.size
  }
}
