/** PolicyRepository on the `policies` table: a handful of rows, the policy as JSON. */
import type Database from 'better-sqlite3'
import type { PolicyRepository, SharedAccessPolicy } from '@ledge/storage'

function prepare(db: Database.Database) {
  const q = <R>(sql: string) => db.prepare<unknown[], R>(sql)
  return {
    list: q<string>('SELECT doc FROM policies ORDER BY key_name').pluck(),
    get: q<string>('SELECT doc FROM policies WHERE key_name = ?').pluck(),
    put: q('INSERT INTO policies (key_name, doc) VALUES (?, ?) ON CONFLICT (key_name) DO UPDATE SET doc = excluded.doc'),
    delete: q('DELETE FROM policies WHERE key_name = ?'),
  }
}

const parse = (doc: string): SharedAccessPolicy => JSON.parse(doc) as SharedAccessPolicy

export class SqlitePolicyRepository implements PolicyRepository {
  private readonly s: ReturnType<typeof prepare>

  constructor(db: Database.Database) {
    this.s = prepare(db)
  }

  async list(): Promise<SharedAccessPolicy[]> {
    return this.s.list.all().map(parse)
  }

  async get(keyName: string): Promise<SharedAccessPolicy | undefined> {
    const doc = this.s.get.get(keyName)
    return doc === undefined ? undefined : parse(doc)
  }

  async put(policy: SharedAccessPolicy): Promise<void> {
    this.s.put.run(policy.keyName, JSON.stringify(policy))
  }

  async delete(keyName: string): Promise<boolean> {
    return this.s.delete.run(keyName).changes > 0
  }
}
