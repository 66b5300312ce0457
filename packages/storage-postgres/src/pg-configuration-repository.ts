/** ConfigurationRepository on the `configurations` table: the record as JSON, the etag as a column for CAS. */
import { storeErrors, type ConfigurationRecord, type ConfigurationRepository } from '@ledge/storage'
import type { Db } from './db.js'

const parse = (row: { doc: string }): ConfigurationRecord => JSON.parse(row.doc) as ConfigurationRecord

export class PgConfigurationRepository implements ConfigurationRepository {
  constructor(private readonly db: Db) {}

  async get(id: string): Promise<ConfigurationRecord | undefined> {
    const [row] = await this.db.rows<{ doc: string }>('SELECT doc FROM configurations WHERE id = $1', [id])
    return row && parse(row)
  }

  async list(): Promise<ConfigurationRecord[]> {
    return (await this.db.rows<{ doc: string }>('SELECT doc FROM configurations ORDER BY id')).map(parse)
  }

  async create(record: ConfigurationRecord): Promise<void> {
    const { rowCount } = await this.db.query('INSERT INTO configurations (id, etag, doc) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
      record.id,
      record.etag,
      JSON.stringify(record),
    ])
    if (rowCount === 0) throw storeErrors.conflict(`configuration '${record.id}' exists`)
  }

  async update(record: ConfigurationRecord, expectedEtag: string): Promise<void> {
    const { rowCount } = await this.db.query('UPDATE configurations SET etag = $1, doc = $2 WHERE id = $3 AND etag = $4', [
      record.etag,
      JSON.stringify(record),
      record.id,
      expectedEtag,
    ])
    if (rowCount > 0) return
    const exists = await this.db.rows('SELECT 1 FROM configurations WHERE id = $1', [record.id])
    if (exists.length === 0) throw storeErrors.notFound(`configuration '${record.id}' does not exist`)
    throw storeErrors.conflict(`configuration '${record.id}' was changed by someone else`)
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM configurations WHERE id = $1', [id])).rowCount > 0
  }
}
