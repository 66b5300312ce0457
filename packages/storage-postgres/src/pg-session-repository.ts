/** SessionRepository on the `mqtt_sessions` table: one row per persistent session, the subscriptions as JSON. */
import type { SessionRepository } from '@ledge/storage'
import type { Db } from './db.js'

export class PgSessionRepository implements SessionRepository {
  constructor(private readonly db: Db) {}

  async get(clientId: string): Promise<string[] | undefined> {
    const [row] = await this.db.rows<{ subscriptions: string }>('SELECT subscriptions FROM mqtt_sessions WHERE client_id = $1', [clientId])
    return row && (JSON.parse(row.subscriptions) as string[])
  }

  async put(clientId: string, subscriptions: readonly string[]): Promise<void> {
    await this.db.query(
      'INSERT INTO mqtt_sessions (client_id, subscriptions) VALUES ($1, $2) ON CONFLICT (client_id) DO UPDATE SET subscriptions = excluded.subscriptions',
      [clientId, JSON.stringify(subscriptions)],
    )
  }

  async delete(clientId: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM mqtt_sessions WHERE client_id = $1', [clientId])).rowCount > 0
  }

  async deleteForDevice(deviceId: string): Promise<number> {
    // A range on the primary key, not LIKE: device ids may contain '%' and '_'. '0' is the character after '/', so
    // [d + '/', d + '0') holds exactly the ids that start with d + '/' (the column's "C" collation orders by bytes).
    const { rowCount } = await this.db.query("DELETE FROM mqtt_sessions WHERE client_id = $1 OR (client_id >= $1 || '/' AND client_id < $1 || '0')", [
      deviceId,
    ])
    return rowCount
  }
}
