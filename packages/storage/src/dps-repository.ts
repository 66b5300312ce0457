/**
 * The device provisioning service's records: the hub's id scope, individual enrollments, enrollment groups and the
 * registrations made through them. Records are the DPS service API's JSON documents (the hub's types extend these
 * key fields); the adapter stores and returns them whole.
 */

/** An individual enrollment (DPS `IndividualEnrollment`), keyed by registration id. */
export interface EnrollmentRecord {
  registrationId: string
}

/** An enrollment group (DPS `EnrollmentGroup`), keyed by enrollment group id. */
export interface EnrollmentGroupRecord {
  enrollmentGroupId: string
}

/** The outcome of a registration (DPS `DeviceRegistrationState`), keyed by registration id. */
export interface RegistrationRecord {
  registrationId: string
  /** The enrollment group it came through; absent for an individual enrollment. */
  enrollmentGroupId?: string
}

export interface DpsRepository {
  /** The stored id scope; stores `candidate` first if none is stored yet. Always returns the stored one. */
  ensureIdScope(candidate: string): Promise<string>

  getEnrollment(registrationId: string): Promise<EnrollmentRecord | undefined>
  /** Inserts or replaces. */
  putEnrollment(record: EnrollmentRecord): Promise<void>
  deleteEnrollment(registrationId: string): Promise<boolean>
  /** Ordered by registration id. */
  listEnrollments(): Promise<EnrollmentRecord[]>

  getEnrollmentGroup(groupId: string): Promise<EnrollmentGroupRecord | undefined>
  /** Inserts or replaces. */
  putEnrollmentGroup(record: EnrollmentGroupRecord): Promise<void>
  deleteEnrollmentGroup(groupId: string): Promise<boolean>
  /** Ordered by group id. */
  listEnrollmentGroups(): Promise<EnrollmentGroupRecord[]>

  getRegistration(registrationId: string): Promise<RegistrationRecord | undefined>
  /** Inserts or replaces. */
  putRegistration(record: RegistrationRecord): Promise<void>
  deleteRegistration(registrationId: string): Promise<boolean>
  /** Registrations made through one group, ordered by registration id. */
  listRegistrationsOfGroup(groupId: string): Promise<RegistrationRecord[]>
}
