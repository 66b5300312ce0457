/**
 * The clients connected to the edge hub, by identity, and waiting for one of them to subscribe (a module input's
 * endpoint waits for its module; a method call waits for the target to listen, as IoT Hub's connect timeout does).
 */
import type { SubscriptionKind } from '@ledge/protocol'
import { identityKey } from '../identity.js'
import type { EdgeConnection } from './connection.js'

type Waiter = { kind: SubscriptionKind; wake: (conn: EdgeConnection) => void }

export class ConnectedClients {
  private readonly byKey = new Map<string, EdgeConnection>()
  private readonly waiters = new Map<string, Set<Waiter>>()
  private readonly listeners = new Set<(conn: EdgeConnection, connected: boolean) => void>()

  /** Registers a connection; returns the one it replaces (the caller closes it: MQTT-3.1.4-2). */
  add(conn: EdgeConnection): EdgeConnection | undefined {
    const key = identityKey(conn.deviceId, conn.moduleId)
    const previous = this.byKey.get(key)
    this.byKey.set(key, conn)
    for (const l of this.listeners) l(conn, true)
    return previous
  }

  remove(conn: EdgeConnection): void {
    const key = identityKey(conn.deviceId, conn.moduleId)
    if (this.byKey.get(key) !== conn) return
    this.byKey.delete(key)
    for (const l of this.listeners) l(conn, false)
  }

  get(deviceId: string, moduleId?: string | null): EdgeConnection | undefined {
    return this.byKey.get(identityKey(deviceId, moduleId))
  }

  /** The connection of `key` once it is subscribed to `kind`, or undefined after `timeoutMs`. */
  whenSubscribed(deviceId: string, moduleId: string | null | undefined, kind: SubscriptionKind, timeoutMs: number): Promise<EdgeConnection | undefined> {
    const key = identityKey(deviceId, moduleId)
    const now = this.byKey.get(key)
    if (now?.state === 'connected' && now.subscribed(kind)) return Promise.resolve(now)
    if (timeoutMs <= 0) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set<Waiter>()
      this.waiters.set(key, set)
      const waiter: Waiter = {
        kind,
        wake: (conn) => {
          clearTimeout(timer)
          set.delete(waiter)
          resolve(conn)
        },
      }
      const timer = setTimeout(() => {
        set.delete(waiter)
        resolve(undefined)
      }, timeoutMs)
      timer.unref()
      set.add(waiter)
    })
  }

  /** A connection subscribed (or resumed a session with) these kinds: wake whoever waits for them. */
  subscribed(conn: EdgeConnection, kinds: Iterable<SubscriptionKind>): void {
    const set = this.waiters.get(identityKey(conn.deviceId, conn.moduleId))
    if (!set) return
    const granted = new Set(kinds)
    for (const w of [...set]) if (granted.has(w.kind)) w.wake(conn)
  }

  /** Called on every connect and disconnect (metrics, reported `clients`). */
  onChange(listener: (conn: EdgeConnection, connected: boolean) => void): void {
    this.listeners.add(listener)
  }

  get size(): number {
    return this.byKey.size
  }

  list(): EdgeConnection[] {
    return [...this.byKey.values()]
  }
}
