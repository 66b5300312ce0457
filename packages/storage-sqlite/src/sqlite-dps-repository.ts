/** DpsRepository on the `dps_*` tables (schema v3): one row per record, the record as JSON. */
import type Database from 'better-sqlite3'
import type { DpsRepository, EnrollmentGroupRecord, EnrollmentRecord, RegistrationRecord } from '@ledge/storage'

function prepare(db: Database.Database) {
  const q = <R>(sql: string) => db.prepare<unknown[], R>(sql)
  return {
    insertScope: q("INSERT INTO dps_settings (name, value) VALUES ('id_scope', ?) ON CONFLICT (name) DO NOTHING"),
    getScope: q<string>("SELECT value FROM dps_settings WHERE name = 'id_scope'").pluck(),

    getEnrollment: q<string>('SELECT doc FROM dps_enrollments WHERE registration_id = ?').pluck(),
    putEnrollment: q('INSERT INTO dps_enrollments (registration_id, doc) VALUES (?, ?) ON CONFLICT (registration_id) DO UPDATE SET doc = excluded.doc'),
    deleteEnrollment: q('DELETE FROM dps_enrollments WHERE registration_id = ?'),
    listEnrollments: q<string>('SELECT doc FROM dps_enrollments ORDER BY registration_id').pluck(),

    getGroup: q<string>('SELECT doc FROM dps_enrollment_groups WHERE group_id = ?').pluck(),
    putGroup: q('INSERT INTO dps_enrollment_groups (group_id, doc) VALUES (?, ?) ON CONFLICT (group_id) DO UPDATE SET doc = excluded.doc'),
    deleteGroup: q('DELETE FROM dps_enrollment_groups WHERE group_id = ?'),
    listGroups: q<string>('SELECT doc FROM dps_enrollment_groups ORDER BY group_id').pluck(),

    getRegistration: q<string>('SELECT doc FROM dps_registrations WHERE registration_id = ?').pluck(),
    putRegistration: q(
      'INSERT INTO dps_registrations (registration_id, group_id, doc) VALUES (?, ?, ?) ' +
        'ON CONFLICT (registration_id) DO UPDATE SET group_id = excluded.group_id, doc = excluded.doc',
    ),
    deleteRegistration: q('DELETE FROM dps_registrations WHERE registration_id = ?'),
    listRegistrationsOfGroup: q<string>('SELECT doc FROM dps_registrations WHERE group_id = ? ORDER BY registration_id').pluck(),
  }
}

const parse = <T>(doc: string | undefined): T | undefined => (doc === undefined ? undefined : (JSON.parse(doc) as T))

export class SqliteDpsRepository implements DpsRepository {
  private readonly s: ReturnType<typeof prepare>

  constructor(db: Database.Database) {
    this.s = prepare(db)
  }

  async ensureIdScope(candidate: string): Promise<string> {
    this.s.insertScope.run(candidate)
    return this.s.getScope.get()!
  }

  async getEnrollment(registrationId: string): Promise<EnrollmentRecord | undefined> {
    return parse(this.s.getEnrollment.get(registrationId))
  }

  async putEnrollment(record: EnrollmentRecord): Promise<void> {
    this.s.putEnrollment.run(record.registrationId, JSON.stringify(record))
  }

  async deleteEnrollment(registrationId: string): Promise<boolean> {
    return this.s.deleteEnrollment.run(registrationId).changes > 0
  }

  async listEnrollments(): Promise<EnrollmentRecord[]> {
    return this.s.listEnrollments.all().map((d) => JSON.parse(d) as EnrollmentRecord)
  }

  async getEnrollmentGroup(groupId: string): Promise<EnrollmentGroupRecord | undefined> {
    return parse(this.s.getGroup.get(groupId))
  }

  async putEnrollmentGroup(record: EnrollmentGroupRecord): Promise<void> {
    this.s.putGroup.run(record.enrollmentGroupId, JSON.stringify(record))
  }

  async deleteEnrollmentGroup(groupId: string): Promise<boolean> {
    return this.s.deleteGroup.run(groupId).changes > 0
  }

  async listEnrollmentGroups(): Promise<EnrollmentGroupRecord[]> {
    return this.s.listGroups.all().map((d) => JSON.parse(d) as EnrollmentGroupRecord)
  }

  async getRegistration(registrationId: string): Promise<RegistrationRecord | undefined> {
    return parse(this.s.getRegistration.get(registrationId))
  }

  async putRegistration(record: RegistrationRecord): Promise<void> {
    this.s.putRegistration.run(record.registrationId, record.enrollmentGroupId ?? '', JSON.stringify(record))
  }

  async deleteRegistration(registrationId: string): Promise<boolean> {
    return this.s.deleteRegistration.run(registrationId).changes > 0
  }

  async listRegistrationsOfGroup(groupId: string): Promise<RegistrationRecord[]> {
    return this.s.listRegistrationsOfGroup.all(groupId).map((d) => JSON.parse(d) as RegistrationRecord)
  }
}
