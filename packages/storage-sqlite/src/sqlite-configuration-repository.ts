/** ConfigurationRepository on the `configurations` table (migration 4): the record as JSON, the etag as a column for CAS. */
import type Database from 'better-sqlite3'
import { storeErrors, type ConfigurationRecord, type ConfigurationRepository } from '@ledge/storage'

function prepare(db: Database.Database) {
  const q = <R>(sql: string) => db.prepare<unknown[], R>(sql)
  return {
    list: q<string>('SELECT doc FROM configurations ORDER BY id').pluck(),
    get: q<string>('SELECT doc FROM configurations WHERE id = ?').pluck(),
    insert: q('INSERT INTO configurations (id, etag, doc) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    update: q('UPDATE configurations SET etag = ?, doc = ? WHERE id = ? AND etag = ?'),
    exists: q<number>('SELECT 1 FROM configurations WHERE id = ?').pluck(),
    delete: q('DELETE FROM configurations WHERE id = ?'),
  }
}

const parse = (doc: string): ConfigurationRecord => JSON.parse(doc) as ConfigurationRecord

export class SqliteConfigurationRepository implements ConfigurationRepository {
  private readonly s: ReturnType<typeof prepare>

  constructor(db: Database.Database) {
    this.s = prepare(db)
  }

  async get(id: string): Promise<ConfigurationRecord | undefined> {
    const doc = this.s.get.get(id)
    return doc === undefined ? undefined : parse(doc)
  }

  async list(): Promise<ConfigurationRecord[]> {
    return this.s.list.all().map(parse)
  }

  async create(record: ConfigurationRecord): Promise<void> {
    if (this.s.insert.run(record.id, record.etag, JSON.stringify(record)).changes === 0) throw storeErrors.conflict(`configuration '${record.id}' exists`)
  }

  async update(record: ConfigurationRecord, expectedEtag: string): Promise<void> {
    if (this.s.update.run(record.etag, JSON.stringify(record), record.id, expectedEtag).changes > 0) return
    if (this.s.exists.get(record.id) === undefined) throw storeErrors.notFound(`configuration '${record.id}' does not exist`)
    throw storeErrors.conflict(`configuration '${record.id}' was changed by someone else`)
  }

  async delete(id: string): Promise<boolean> {
    return this.s.delete.run(id).changes > 0
  }
}
