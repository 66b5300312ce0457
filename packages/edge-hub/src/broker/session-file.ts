/**
 * The edge hub's persistent MQTT sessions (clean=false clients' subscriptions) in one small JSON file, written
 * atomically on every change: there are tens of clients at the edge, not thousands, and sessions change rarely.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { SessionRepository } from '@ledge/mqtt-server'

export class SessionFile implements SessionRepository {
  private readonly sessions: Map<string, string[]>

  constructor(private readonly file: string) {
    let stored: Record<string, string[]> = {}
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`the session file ${file} cannot be read: ${(err as Error).message}`)
    }
    this.sessions = new Map(Object.entries(stored))
  }

  get(clientId: string): Promise<string[] | undefined> {
    return Promise.resolve(this.sessions.get(clientId))
  }

  put(clientId: string, subscriptions: string[]): Promise<void> {
    this.sessions.set(clientId, subscriptions)
    return this.save()
  }

  delete(clientId: string): Promise<boolean> {
    const had = this.sessions.delete(clientId)
    return had ? this.save().then(() => true) : Promise.resolve(false)
  }

  deleteForDevice(deviceId: string): Promise<void> {
    for (const id of [...this.sessions.keys()]) if (id === deviceId || id.startsWith(`${deviceId}/`)) this.sessions.delete(id)
    return this.save()
  }

  private save(): Promise<void> {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 })
    const tmp = `${this.file}.tmp`
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.sessions)), { mode: 0o600 })
    renameSync(tmp, this.file)
    return Promise.resolve()
  }
}
