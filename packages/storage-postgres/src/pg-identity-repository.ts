/** IdentityRepository on the `identities` table. */
import { storeErrors, type ActivityUpdate, type IdentityKey, type IdentityRecord, type IdentityRepository } from '@ledge/storage'
import { identityFromRow as fromRow, identityToRow as toRow, type IdentityRow } from '@ledge/storage/sql-rows'
import { limitOf, type Db, type Queryable } from './db.js'
import { isUniqueViolation } from './pg-errors.js'

const COLUMNS = 'device_id, module_id, status, revision, last_activity_time, doc'

/** The row's columns in COLUMNS order, as positional parameters. */
function toParams(r: IdentityRecord, revision: number): unknown[] {
  const row = toRow(r, revision)
  return [row.device_id, row.module_id, row.status, row.revision, row.last_activity_time, row.doc]
}

const nameOf = (r: IdentityKey): string => (r.moduleId ? `${r.deviceId}/${r.moduleId}` : r.deviceId)

async function insertOne(tx: Queryable, r: IdentityRecord): Promise<void> {
  try {
    await tx.query(`INSERT INTO identities (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, toParams(r, 1))
  } catch (err) {
    // Throwing rolls the whole batch back: a conflict writes nothing.
    if (isUniqueViolation(err)) throw storeErrors.conflict(`identity '${nameOf(r)}' exists already`)
    throw err
  }
}

export class PgIdentityRepository implements IdentityRepository {
  constructor(private readonly db: Db) {}

  async get(deviceId: string, moduleId?: string | null): Promise<IdentityRecord | undefined> {
    const [row] = await this.db.rows<IdentityRow>(`SELECT ${COLUMNS} FROM identities WHERE device_id = $1 AND module_id = $2`, [deviceId, moduleId ?? ''])
    return row && fromRow(row)
  }

  async create(records: readonly IdentityRecord[]): Promise<IdentityRecord[]> {
    return this.db.transaction(async (tx) => {
      for (const r of records) await insertOne(tx, r)
      return records.map((r) => ({ ...r, revision: 1 }))
    })
  }

  async update(record: IdentityRecord): Promise<IdentityRecord> {
    const params = toParams(record, record.revision + 1)
    // The CAS: the row is written only if nobody moved the revision on since the caller read it.
    const { rowCount } = await this.db.query(
      `UPDATE identities SET status = $3, revision = $4, last_activity_time = $5, doc = $6
       WHERE device_id = $1 AND module_id = $2 AND revision = $4 - 1`,
      params,
    )
    if (rowCount === 1) return { ...record, revision: record.revision + 1 }
    const exists = await this.db.rows('SELECT 1 FROM identities WHERE device_id = $1 AND module_id = $2', [params[0], params[1]])
    if (exists.length === 0) throw storeErrors.notFound(`identity '${nameOf(record)}' does not exist`)
    throw storeErrors.conflict(`identity '${nameOf(record)}' was changed since revision ${record.revision}`)
  }

  async delete(deviceId: string, moduleId?: string | null): Promise<boolean> {
    const { rowCount } = moduleId
      ? await this.db.query('DELETE FROM identities WHERE device_id = $1 AND module_id = $2', [deviceId, moduleId])
      : await this.db.query('DELETE FROM identities WHERE device_id = $1', [deviceId])
    return rowCount > 0
  }

  async listDevices(opts: { after?: string; limit: number }): Promise<IdentityRecord[]> {
    return this.devicesAfter(opts.after ?? '', opts.limit)
  }

  async listModules(deviceId: string): Promise<IdentityRecord[]> {
    const rows = await this.db.rows<IdentityRow>(`SELECT ${COLUMNS} FROM identities WHERE device_id = $1 AND module_id <> '' ORDER BY module_id`, [deviceId])
    return rows.map(fromRow)
  }

  async scan(opts: { modules: boolean; after?: IdentityKey; limit: number }): Promise<IdentityRecord[]> {
    if (!opts.modules) return this.devicesAfter(opts.after?.deviceId ?? '', opts.limit)
    // Row values compare left to right, and a device key (d, '') sorts before d's modules.
    const rows = await this.db.rows<IdentityRow>(
      `SELECT ${COLUMNS} FROM identities WHERE module_id <> '' AND (device_id, module_id) > ($1, $2) ORDER BY device_id, module_id LIMIT $3`,
      [opts.after?.deviceId ?? '', opts.after?.moduleId ?? '', limitOf(opts.limit)],
    )
    return rows.map(fromRow)
  }

  async countDevices(): Promise<{ total: number; enabled: number; disabled: number }> {
    const [row] = await this.db.rows<{ total: number; enabled: number; disabled: number }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE status = 'enabled') AS enabled, count(*) FILTER (WHERE status = 'disabled') AS disabled
       FROM identities WHERE module_id = ''`,
    )
    return { ...row! }
  }

  async recordActivity(updates: readonly ActivityUpdate[]): Promise<void> {
    if (updates.length === 0) return
    // One statement for the batch: the arrays are joined row by row.
    await this.db.query(
      `UPDATE identities AS i SET last_activity_time = u.t
       FROM unnest($1::text[], $2::text[], $3::text[]) AS u(d, m, t) WHERE i.device_id = u.d AND i.module_id = u.m`,
      [updates.map((u) => u.deviceId), updates.map((u) => u.moduleId ?? ''), updates.map((u) => u.lastActivityTime)],
    )
  }

  private async devicesAfter(after: string, limit: number): Promise<IdentityRecord[]> {
    // device_id > '' matches every device: ids are never empty.
    const rows = await this.db.rows<IdentityRow>(`SELECT ${COLUMNS} FROM identities WHERE module_id = '' AND device_id > $1 ORDER BY device_id LIMIT $2`, [
      after,
      limitOf(limit),
    ])
    return rows.map(fromRow)
  }
}
