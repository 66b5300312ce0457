/** SessionRepository on the `mqtt_sessions` table: one row per persistent session, the subscriptions as JSON. */
import type Database from 'better-sqlite3'
import type { SessionRepository } from '@ledge/storage'

function prepare(db: Database.Database) {
  const q = <R>(sql: string) => db.prepare<unknown[], R>(sql)
  return {
    get: q<string>('SELECT subscriptions FROM mqtt_sessions WHERE client_id = ?').pluck(),
    put: q('INSERT INTO mqtt_sessions (client_id, subscriptions) VALUES (?, ?) ON CONFLICT (client_id) DO UPDATE SET subscriptions = excluded.subscriptions'),
    delete: q('DELETE FROM mqtt_sessions WHERE client_id = ?'),
    // A range on the primary key, not LIKE: device ids may contain '%' and '_'.
    deleteForDevice: q("DELETE FROM mqtt_sessions WHERE client_id = ? OR (client_id >= ? || '/' AND client_id < ? || '0')"),
  }
}

export class SqliteSessionRepository implements SessionRepository {
  private readonly s: ReturnType<typeof prepare>

  constructor(db: Database.Database) {
    this.s = prepare(db)
  }

  async get(clientId: string): Promise<string[] | undefined> {
    const doc = this.s.get.get(clientId)
    return doc === undefined ? undefined : (JSON.parse(doc) as string[])
  }

  async put(clientId: string, subscriptions: readonly string[]): Promise<void> {
    this.s.put.run(clientId, JSON.stringify(subscriptions))
  }

  async delete(clientId: string): Promise<boolean> {
    return this.s.delete.run(clientId).changes > 0
  }

  async deleteForDevice(deviceId: string): Promise<number> {
    // '0' is the character after '/', so [d + '/', d + '0') holds exactly the ids that start with d + '/'.
    return this.s.deleteForDevice.run(deviceId, deviceId, deviceId).changes
  }
}
