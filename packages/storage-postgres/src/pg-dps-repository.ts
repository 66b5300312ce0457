/** DpsRepository on the `dps_*` tables: one row per record, the record as JSON. */
import type { DpsRepository, EnrollmentGroupRecord, EnrollmentRecord, RegistrationRecord } from '@ledge/storage'
import type { Db } from './db.js'

type Doc = { doc: string }
const parse = <T>(rows: Doc[]): T | undefined => (rows[0] === undefined ? undefined : (JSON.parse(rows[0].doc) as T))
const parseAll = <T>(rows: Doc[]): T[] => rows.map((r) => JSON.parse(r.doc) as T)

export class PgDpsRepository implements DpsRepository {
  constructor(private readonly db: Db) {}

  async ensureIdScope(candidate: string): Promise<string> {
    // Two nodes may race here: the first insert wins, and both read the winner.
    await this.db.query("INSERT INTO dps_settings (name, value) VALUES ('id_scope', $1) ON CONFLICT (name) DO NOTHING", [candidate])
    const [row] = await this.db.rows<{ value: string }>("SELECT value FROM dps_settings WHERE name = 'id_scope'")
    return row!.value
  }

  async getEnrollment(registrationId: string): Promise<EnrollmentRecord | undefined> {
    return parse(await this.db.rows<Doc>('SELECT doc FROM dps_enrollments WHERE registration_id = $1', [registrationId]))
  }

  async putEnrollment(record: EnrollmentRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO dps_enrollments (registration_id, doc) VALUES ($1, $2) ON CONFLICT (registration_id) DO UPDATE SET doc = excluded.doc',
      [record.registrationId, JSON.stringify(record)],
    )
  }

  async deleteEnrollment(registrationId: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM dps_enrollments WHERE registration_id = $1', [registrationId])).rowCount > 0
  }

  async listEnrollments(): Promise<EnrollmentRecord[]> {
    return parseAll(await this.db.rows<Doc>('SELECT doc FROM dps_enrollments ORDER BY registration_id'))
  }

  async getEnrollmentGroup(groupId: string): Promise<EnrollmentGroupRecord | undefined> {
    return parse(await this.db.rows<Doc>('SELECT doc FROM dps_enrollment_groups WHERE group_id = $1', [groupId]))
  }

  async putEnrollmentGroup(record: EnrollmentGroupRecord): Promise<void> {
    await this.db.query('INSERT INTO dps_enrollment_groups (group_id, doc) VALUES ($1, $2) ON CONFLICT (group_id) DO UPDATE SET doc = excluded.doc', [
      record.enrollmentGroupId,
      JSON.stringify(record),
    ])
  }

  async deleteEnrollmentGroup(groupId: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM dps_enrollment_groups WHERE group_id = $1', [groupId])).rowCount > 0
  }

  async listEnrollmentGroups(): Promise<EnrollmentGroupRecord[]> {
    return parseAll(await this.db.rows<Doc>('SELECT doc FROM dps_enrollment_groups ORDER BY group_id'))
  }

  async getRegistration(registrationId: string): Promise<RegistrationRecord | undefined> {
    return parse(await this.db.rows<Doc>('SELECT doc FROM dps_registrations WHERE registration_id = $1', [registrationId]))
  }

  async putRegistration(record: RegistrationRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO dps_registrations (registration_id, group_id, doc) VALUES ($1, $2, $3) ' +
        'ON CONFLICT (registration_id) DO UPDATE SET group_id = excluded.group_id, doc = excluded.doc',
      [record.registrationId, record.enrollmentGroupId ?? '', JSON.stringify(record)],
    )
  }

  async deleteRegistration(registrationId: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM dps_registrations WHERE registration_id = $1', [registrationId])).rowCount > 0
  }

  async listRegistrationsOfGroup(groupId: string): Promise<RegistrationRecord[]> {
    return parseAll(await this.db.rows<Doc>('SELECT doc FROM dps_registrations WHERE group_id = $1 ORDER BY registration_id', [groupId]))
  }
}
