/** PolicyRepository on the `policies` table: a handful of rows, the policy as JSON. */
import type { PolicyRepository, SharedAccessPolicy } from '@ledge/storage'
import type { Db } from './db.js'

const parse = (row: { doc: string }): SharedAccessPolicy => JSON.parse(row.doc) as SharedAccessPolicy

export class PgPolicyRepository implements PolicyRepository {
  constructor(private readonly db: Db) {}

  async list(): Promise<SharedAccessPolicy[]> {
    return (await this.db.rows<{ doc: string }>('SELECT doc FROM policies ORDER BY key_name')).map(parse)
  }

  async get(keyName: string): Promise<SharedAccessPolicy | undefined> {
    const [row] = await this.db.rows<{ doc: string }>('SELECT doc FROM policies WHERE key_name = $1', [keyName])
    return row && parse(row)
  }

  async put(policy: SharedAccessPolicy): Promise<void> {
    await this.db.query('INSERT INTO policies (key_name, doc) VALUES ($1, $2) ON CONFLICT (key_name) DO UPDATE SET doc = excluded.doc', [
      policy.keyName,
      JSON.stringify(policy),
    ])
  }

  async delete(keyName: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM policies WHERE key_name = $1', [keyName])).rowCount > 0
  }
}
