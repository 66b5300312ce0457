/** IdentityRepository on the `identities` table. */
import type Database from 'better-sqlite3'
import { storeErrors, type ActivityUpdate, type IdentityKey, type IdentityRecord, type IdentityRepository } from '@ledge/storage'
import { identityFromRow as fromRow, identityToRow as toRow, type IdentityRow } from '@ledge/storage/sql-rows'

const COLUMNS = 'device_id, module_id, status, revision, last_activity_time, doc'

function isPrimaryKeyViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** SQLite treats a negative LIMIT as none. */
const limitOf = (n: number): number => Math.max(0, Math.floor(n))

function prepare(db: Database.Database) {
  const q = <R>(sql: string) => db.prepare<unknown[], R>(sql)
  return {
    get: q<IdentityRow>(`SELECT ${COLUMNS} FROM identities WHERE device_id = ? AND module_id = ?`),
    exists: q<number>('SELECT 1 FROM identities WHERE device_id = ? AND module_id = ?').pluck(),
    insert: q(`INSERT INTO identities (${COLUMNS}) VALUES (@device_id, @module_id, @status, @revision, @last_activity_time, @doc)`),
    // The CAS: the row is written only if nobody moved the revision on since the caller read it.
    update: q(`UPDATE identities SET status = @status, revision = @revision, last_activity_time = @last_activity_time, doc = @doc
               WHERE device_id = @device_id AND module_id = @module_id AND revision = @revision - 1`),
    deleteOne: q('DELETE FROM identities WHERE device_id = ? AND module_id = ?'),
    deleteDevice: q('DELETE FROM identities WHERE device_id = ?'),
    // device_id > '' matches every device: ids are never empty.
    devicesAfter: q<IdentityRow>(`SELECT ${COLUMNS} FROM identities WHERE module_id = '' AND device_id > ? ORDER BY device_id LIMIT ?`),
    modulesOf: q<IdentityRow>(`SELECT ${COLUMNS} FROM identities WHERE device_id = ? AND module_id <> '' ORDER BY module_id`),
    // Row values compare left to right, and a device key (d, '') sorts before d's modules.
    modulesAfter: q<IdentityRow>(`SELECT ${COLUMNS} FROM identities WHERE module_id <> '' AND (device_id, module_id) > (?, ?)
                                  ORDER BY device_id, module_id LIMIT ?`),
    count: q<{ total: number; enabled: number; disabled: number }>(`SELECT count(*) AS total, coalesce(sum(status = 'enabled'), 0) AS enabled,
             coalesce(sum(status = 'disabled'), 0) AS disabled FROM identities WHERE module_id = ''`),
    activity: q('UPDATE identities SET last_activity_time = ? WHERE device_id = ? AND module_id = ?'),
  }
}

const nameOf = (r: IdentityKey): string => (r.moduleId ? `${r.deviceId}/${r.moduleId}` : r.deviceId)

export class SqliteIdentityRepository implements IdentityRepository {
  private readonly s: ReturnType<typeof prepare>
  private readonly createTx: Database.Transaction<(records: readonly IdentityRecord[]) => IdentityRecord[]>
  private readonly updateTx: Database.Transaction<(record: IdentityRecord) => IdentityRecord>
  private readonly activityTx: Database.Transaction<(updates: readonly ActivityUpdate[]) => void>

  constructor(db: Database.Database) {
    const s = (this.s = prepare(db))
    this.createTx = db.transaction((records) => {
      const created: IdentityRecord[] = []
      for (const r of records) {
        try {
          s.insert.run(toRow(r, 1))
        } catch (err) {
          // Throwing rolls the whole batch back: a conflict writes nothing.
          if (isPrimaryKeyViolation(err)) throw storeErrors.conflict(`identity '${nameOf(r)}' exists already`)
          throw err
        }
        created.push({ ...r, revision: 1 })
      }
      return created
    })
    this.updateTx = db.transaction((record) => {
      const row = toRow(record, record.revision + 1)
      if (s.update.run(row).changes === 1) return { ...record, revision: row.revision }
      if (s.exists.get(row.device_id, row.module_id) === undefined) throw storeErrors.notFound(`identity '${nameOf(record)}' does not exist`)
      throw storeErrors.conflict(`identity '${nameOf(record)}' was changed since revision ${record.revision}`)
    })
    this.activityTx = db.transaction((updates) => {
      for (const u of updates) s.activity.run(u.lastActivityTime, u.deviceId, u.moduleId ?? '')
    })
  }

  async get(deviceId: string, moduleId?: string | null): Promise<IdentityRecord | undefined> {
    const row = this.s.get.get(deviceId, moduleId ?? '')
    return row && fromRow(row)
  }

  async create(records: readonly IdentityRecord[]): Promise<IdentityRecord[]> {
    return this.createTx.immediate(records)
  }

  async update(record: IdentityRecord): Promise<IdentityRecord> {
    return this.updateTx.immediate(record)
  }

  async delete(deviceId: string, moduleId?: string | null): Promise<boolean> {
    const result = moduleId ? this.s.deleteOne.run(deviceId, moduleId) : this.s.deleteDevice.run(deviceId)
    return result.changes > 0
  }

  async listDevices(opts: { after?: string; limit: number }): Promise<IdentityRecord[]> {
    return this.s.devicesAfter.all(opts.after ?? '', limitOf(opts.limit)).map(fromRow)
  }

  async listModules(deviceId: string): Promise<IdentityRecord[]> {
    return this.s.modulesOf.all(deviceId).map(fromRow)
  }

  async scan(opts: { modules: boolean; after?: IdentityKey; limit: number }): Promise<IdentityRecord[]> {
    const limit = limitOf(opts.limit)
    if (!opts.modules) return this.s.devicesAfter.all(opts.after?.deviceId ?? '', limit).map(fromRow)
    return this.s.modulesAfter.all(opts.after?.deviceId ?? '', opts.after?.moduleId ?? '', limit).map(fromRow)
  }

  async countDevices(): Promise<{ total: number; enabled: number; disabled: number }> {
    return { ...this.s.count.get()! }
  }

  async recordActivity(updates: readonly ActivityUpdate[]): Promise<void> {
    if (updates.length > 0) this.activityTx.immediate(updates)
  }
}
