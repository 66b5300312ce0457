/**
 * The device provisioning service: enrollments and enrollment groups with symmetric keys, the hub's id scope, and
 * registration (authenticate the device's `registration` SAS token against its enrollment, create the device in this
 * hub's registry with the enrollment's or the derived key, apply the initial twin, and remember the assignment so
 * that registering again returns it).
 */
import { isAppError, type Clock, type Logger } from '@ledge/common'
import { deriveDeviceKey, parseSasToken, verifySasSignature, SasTokenFormatError } from '@ledge/protocol'
import type { DpsRepository } from '@ledge/storage'
import { describeIssues } from '../registry/identity-input.js'
import type { RegistryService } from '../registry/registry-service.js'
import type { TwinService } from '../twins/twin-service.js'
import { errors } from '../errors.js'
import { dpsErrors } from './errors.js'
import { generateEnrollmentKey, generateEtag, generateIdScope, generateOperationId, validateRegistrationId } from './keys.js'
import {
  enrollmentGroupInput, enrollmentInput,
  type DeviceRegistrationState, type EnrollmentCommon, type EnrollmentGroup, type EnrollmentGroupInput, type EnrollmentInput, type IndividualEnrollment,
} from './enrollment-input.js'
import { OperationTable, type RegistrationOperationStatus } from './operations.js'

export interface DpsServiceDeps {
  repo: DpsRepository
  registry: RegistryService
  twins: TwinService
  clock: Clock
  log: Logger
  /** The hub devices are assigned to (`assignedHub`). */
  hostName: string
  /** The `retry-after` (seconds) sent with an operation still assigning. */
  retryAfterSeconds: number
}

/** A registration attempt as both transports receive it. */
export interface RegisterRequest {
  idScope: string
  registrationId: string
  /** The `Authorization` header (HTTPS) or the MQTT password: a SAS token. */
  sasToken: string | undefined
  /** The body's registrationId, when the body names one. */
  bodyRegistrationId?: string | undefined
  payload?: unknown
}

/** The enrollment a device registers through. */
interface Match {
  kind: 'individual' | 'group'
  enrollment: IndividualEnrollment | EnrollmentGroup
  primaryKey: string
  secondaryKey: string
  deviceId: string
}

type CommonInput = Pick<EnrollmentInput, 'attestation' | 'capabilities' | 'initialTwin' | 'provisioningStatus' | 'reprovisionPolicy' | 'etag'>

export class DpsService {
  private scope = ''
  readonly operations: OperationTable

  constructor(private readonly d: DpsServiceDeps) {
    this.operations = new OperationTable(d.clock)
  }

  /** Loads (or creates, once) the hub's id scope. */
  async init(): Promise<string> {
    this.scope = await this.d.repo.ensureIdScope(generateIdScope())
    return this.scope
  }

  get idScope(): string {
    return this.scope
  }

  get retryAfterSeconds(): number {
    return this.d.retryAfterSeconds
  }

  info(): { idScope: string; serviceOperationsHostName: string; deviceProvisioningHostName: string } {
    return { idScope: this.scope, serviceOperationsHostName: this.d.hostName, deviceProvisioningHostName: this.d.hostName }
  }

  private nowIso(): string {
    return new Date(this.d.clock.now()).toISOString()
  }

  // Enrollments (the service API)

  private common(input: CommonInput, previous: EnrollmentCommon | undefined): EnrollmentCommon {
    const now = this.nowIso()
    const keys = input.attestation?.symmetricKey
    const primaryKey = keys?.primaryKey || previous?.attestation.symmetricKey.primaryKey || generateEnrollmentKey()
    const secondaryKey = keys?.secondaryKey || previous?.attestation.symmetricKey.secondaryKey || generateEnrollmentKey()
    for (const [name, key] of [['primaryKey', primaryKey], ['secondaryKey', secondaryKey]] as const) {
      const bytes = Buffer.from(key, 'base64')
      if (bytes.length < 16 || bytes.length > 64 || bytes.toString('base64') !== key) {
        throw errors.argumentInvalid(`attestation.symmetricKey.${name} must be base64 of 16 to 64 bytes`)
      }
    }
    if (previous && input.etag && input.etag !== '*' && input.etag !== previous.etag) {
      throw errors.preconditionFailed(`the etag '${input.etag}' is not the current one ('${previous.etag}')`)
    }
    return {
      attestation: { type: 'symmetricKey', symmetricKey: { primaryKey, secondaryKey } },
      capabilities: { iotEdge: input.capabilities?.iotEdge ?? false },
      initialTwin: { tags: input.initialTwin?.tags ?? {}, properties: { desired: input.initialTwin?.properties?.desired ?? {} } },
      provisioningStatus: input.provisioningStatus ?? 'enabled',
      reprovisionPolicy: { updateHubAssignment: input.reprovisionPolicy?.updateHubAssignment ?? true, migrateDeviceData: input.reprovisionPolicy?.migrateDeviceData ?? true },
      allocationPolicy: 'static',
      iotHubHostName: this.d.hostName,
      etag: generateEtag(),
      createdDateTimeUtc: previous?.createdDateTimeUtc ?? now,
      lastUpdatedDateTimeUtc: now,
    }
  }

  /** PUT /enrollments/{id}: creates or replaces an individual enrollment. */
  async putEnrollment(registrationId: string, body: unknown): Promise<IndividualEnrollment> {
    const idErr = validateRegistrationId(registrationId)
    if (idErr) throw errors.argumentInvalid(idErr)
    const r = enrollmentInput.safeParse(body ?? {})
    if (!r.success) throw errors.argumentInvalid(describeIssues(r.error))
    const input = r.data
    if (input.registrationId !== undefined && input.registrationId !== registrationId) {
      throw errors.argumentInvalid(`the body's registrationId '${input.registrationId}' differs from '${registrationId}' in the path`)
    }
    const previous = (await this.d.repo.getEnrollment(registrationId)) as IndividualEnrollment | undefined
    const deviceId = input.deviceId ?? undefined
    const enrollment: IndividualEnrollment = { registrationId, ...(deviceId ? { deviceId } : {}), ...this.common(input, previous) }
    await this.d.repo.putEnrollment(enrollment)
    this.d.log.info({ event: previous ? 'dps.enrollment_updated' : 'dps.enrollment_created', registrationId }, 'enrollment saved')
    return enrollment
  }

  async getEnrollment(registrationId: string): Promise<IndividualEnrollment> {
    const e = await this.d.repo.getEnrollment(registrationId)
    if (!e) throw errors.notFound(`enrollment '${registrationId}' does not exist`)
    return e as IndividualEnrollment
  }

  async listEnrollments(): Promise<IndividualEnrollment[]> {
    return (await this.d.repo.listEnrollments()) as IndividualEnrollment[]
  }

  async deleteEnrollment(registrationId: string): Promise<void> {
    if (!(await this.d.repo.deleteEnrollment(registrationId))) throw errors.notFound(`enrollment '${registrationId}' does not exist`)
    this.d.log.info({ event: 'dps.enrollment_deleted', registrationId }, 'enrollment deleted')
  }

  /** PUT /enrollmentGroups/{id}: creates or replaces an enrollment group. */
  async putEnrollmentGroup(groupId: string, body: unknown): Promise<EnrollmentGroup> {
    const idErr = validateRegistrationId(groupId)
    if (idErr) throw errors.argumentInvalid(idErr.replace('registration id', 'enrollment group id'))
    const r = enrollmentGroupInput.safeParse(body ?? {})
    if (!r.success) throw errors.argumentInvalid(describeIssues(r.error))
    const input: EnrollmentGroupInput = r.data
    if (input.enrollmentGroupId !== undefined && input.enrollmentGroupId !== groupId) {
      throw errors.argumentInvalid(`the body's enrollmentGroupId '${input.enrollmentGroupId}' differs from '${groupId}' in the path`)
    }
    const previous = (await this.d.repo.getEnrollmentGroup(groupId)) as EnrollmentGroup | undefined
    const group: EnrollmentGroup = { enrollmentGroupId: groupId, ...this.common(input, previous) }
    await this.d.repo.putEnrollmentGroup(group)
    this.d.log.info({ event: previous ? 'dps.group_updated' : 'dps.group_created', enrollmentGroupId: groupId }, 'enrollment group saved')
    return group
  }

  async getEnrollmentGroup(groupId: string): Promise<EnrollmentGroup> {
    const g = await this.d.repo.getEnrollmentGroup(groupId)
    if (!g) throw errors.notFound(`enrollment group '${groupId}' does not exist`)
    return g as EnrollmentGroup
  }

  async listEnrollmentGroups(): Promise<EnrollmentGroup[]> {
    return (await this.d.repo.listEnrollmentGroups()) as EnrollmentGroup[]
  }

  async deleteEnrollmentGroup(groupId: string): Promise<void> {
    if (!(await this.d.repo.deleteEnrollmentGroup(groupId))) throw errors.notFound(`enrollment group '${groupId}' does not exist`)
    this.d.log.info({ event: 'dps.group_deleted', enrollmentGroupId: groupId }, 'enrollment group deleted')
  }

  async getRegistration(registrationId: string): Promise<DeviceRegistrationState> {
    const r = await this.d.repo.getRegistration(registrationId)
    if (!r) throw errors.notFound(`registration '${registrationId}' does not exist`)
    return r as DeviceRegistrationState
  }

  async listGroupRegistrations(groupId: string): Promise<DeviceRegistrationState[]> {
    return (await this.d.repo.listRegistrationsOfGroup(groupId)) as DeviceRegistrationState[]
  }

  async deleteRegistration(registrationId: string): Promise<void> {
    if (!(await this.d.repo.deleteRegistration(registrationId))) throw errors.notFound(`registration '${registrationId}' does not exist`)
  }

  // Registration (the device API, both transports)

  /**
   * Authenticates and assigns. The work is done before the answer, so the first poll finds the operation assigned;
   * the answer is still `assigning` with an operation id, as Azure DPS answers, so clients poll as they would there.
   */
  async register(req: RegisterRequest): Promise<RegistrationOperationStatus> {
    const match = await this.authenticate(req)
    if (req.bodyRegistrationId !== undefined && req.bodyRegistrationId !== req.registrationId) {
      throw dpsErrors.badRequest(`the body's registrationId '${req.bodyRegistrationId}' differs from '${req.registrationId}'`)
    }
    if (match.enrollment.provisioningStatus !== 'enabled') {
      throw dpsErrors.enrollmentDisabled(match.kind === 'individual' ? `enrollment '${req.registrationId}'` : `enrollment group '${(match.enrollment as EnrollmentGroup).enrollmentGroupId}'`)
    }
    const state = await this.assign(req.registrationId, match)
    const operationId = generateOperationId()
    this.operations.put(operationId, req.registrationId, { operationId, status: 'assigned', registrationState: state })
    return { operationId, status: 'assigning' }
  }

  /** An operation's status; the caller must hold a valid token for the registration it belongs to. */
  async operationStatus(req: Omit<RegisterRequest, 'payload' | 'bodyRegistrationId'>, operationId: string): Promise<RegistrationOperationStatus> {
    await this.authenticate(req)
    const op = this.operations.get(operationId)
    if (!op || op.registrationId !== req.registrationId) throw dpsErrors.notFound(`operation '${operationId}' does not exist`)
    return op.status
  }

  /** Checks the id scope and the token against the enrollments (MQTT CONNECT); throws an unauthorized AppError. */
  async checkCredentials(req: { idScope: string; registrationId: string; sasToken: string | undefined }): Promise<void> {
    await this.authenticate(req)
  }

  /** Checks the id scope and the token, and finds the enrollment whose key signed it. */
  private async authenticate(req: { idScope: string; registrationId: string; sasToken: string | undefined }): Promise<Match> {
    if (req.idScope !== this.scope) throw dpsErrors.unauthorized(`id scope '${req.idScope}' is not this provisioning service's ('${this.scope}')`)
    if (validateRegistrationId(req.registrationId)) throw dpsErrors.badRequest(validateRegistrationId(req.registrationId)!)
    if (!req.sasToken) throw dpsErrors.unauthorized('no SAS token: sign one for the registration with the enrollment key')
    let token
    try {
      token = parseSasToken(req.sasToken)
    } catch (err) {
      if (err instanceof SasTokenFormatError) throw dpsErrors.unauthorized(err.message)
      throw err
    }
    let sr = token.sr
    try {
      sr = decodeURIComponent(token.sr)
    } catch {
      /* kept as it is */
    }
    const resource = `${req.idScope}/registrations/${req.registrationId}`
    if (sr !== resource) throw dpsErrors.unauthorized(`the SAS token is for '${sr}', not '${resource}'`)
    if (token.skn !== undefined && token.skn !== 'registration') throw dpsErrors.unauthorized(`the SAS token's key name must be 'registration', not '${token.skn}'`)
    if (token.se * 1000 <= this.d.clock.now()) throw dpsErrors.unauthorized('the SAS token has expired')

    const individual = (await this.d.repo.getEnrollment(req.registrationId)) as IndividualEnrollment | undefined
    if (individual) {
      const { primaryKey, secondaryKey } = individual.attestation.symmetricKey
      if (verifySasSignature(token, primaryKey) || verifySasSignature(token, secondaryKey)) {
        return { kind: 'individual', enrollment: individual, primaryKey, secondaryKey, deviceId: individual.deviceId ?? req.registrationId }
      }
      throw dpsErrors.unauthorized(`the SAS token is not signed with a key of enrollment '${req.registrationId}'`)
    }
    for (const group of (await this.d.repo.listEnrollmentGroups()) as EnrollmentGroup[]) {
      const primaryKey = deriveDeviceKey(group.attestation.symmetricKey.primaryKey, req.registrationId)
      const secondaryKey = deriveDeviceKey(group.attestation.symmetricKey.secondaryKey, req.registrationId)
      if (verifySasSignature(token, primaryKey) || verifySasSignature(token, secondaryKey)) {
        return { kind: 'group', enrollment: group, primaryKey, secondaryKey, deviceId: req.registrationId }
      }
    }
    throw dpsErrors.unauthorized(`no enrollment matches registration '${req.registrationId}' and the key that signed its token`)
  }

  /** Creates the device (or finds it again) and records the assignment. Registering again returns the same one. */
  private async assign(registrationId: string, m: Match): Promise<DeviceRegistrationState> {
    const now = this.nowIso()
    const previous = (await this.d.repo.getRegistration(registrationId)) as DeviceRegistrationState | undefined
    let created = false
    try {
      await this.d.registry.createDevice(m.deviceId, {
        status: 'enabled',
        authentication: { type: 'sas', symmetricKey: { primaryKey: m.primaryKey, secondaryKey: m.secondaryKey } },
        capabilities: { iotEdge: m.enrollment.capabilities.iotEdge },
      })
      created = true
    } catch (err) {
      if (!(isAppError(err) && err.code === 'ERR_DEVICE_ALREADY_EXISTS')) throw err
      await this.ensureKeys(m)
    }
    if (created) {
      const { tags, properties } = m.enrollment.initialTwin
      if (Object.keys(tags).length > 0 || Object.keys(properties.desired).length > 0) {
        await this.d.twins.patch(m.deviceId, null, { tags, ...(Object.keys(properties.desired).length > 0 ? { properties } : {}) }, '*')
      }
    }
    const state: DeviceRegistrationState = {
      registrationId,
      ...(m.kind === 'group' ? { enrollmentGroupId: (m.enrollment as EnrollmentGroup).enrollmentGroupId } : {}),
      createdDateTimeUtc: previous?.createdDateTimeUtc ?? now,
      assignedHub: this.d.hostName,
      deviceId: m.deviceId,
      status: 'assigned',
      substatus: previous ? (created ? 'deviceDataReset' : 'deviceDataMigrated') : 'initialAssignment',
      lastUpdatedDateTimeUtc: now,
      etag: generateEtag(),
    }
    await this.d.repo.putRegistration(state)
    this.d.log.info({ event: 'dps.assigned', registrationId, deviceId: m.deviceId, created, via: m.kind }, 'device registered')
    return state
  }

  /** A device that exists already gets the enrollment's keys, so that the key it registered with connects it. */
  private async ensureKeys(m: Match): Promise<void> {
    const record = await this.d.registry.getRecord(m.deviceId)
    const keys = record?.authentication.symmetricKey
    if (record && record.authentication.type === 'sas' && keys?.primaryKey === m.primaryKey && keys.secondaryKey === m.secondaryKey) return
    await this.d.registry.updateDevice(m.deviceId, {
      status: record?.status ?? 'enabled',
      authentication: { type: 'sas', symmetricKey: { primaryKey: m.primaryKey, secondaryKey: m.secondaryKey } },
      capabilities: { iotEdge: record?.capabilities.iotEdge ?? m.enrollment.capabilities.iotEdge },
    }, '*')
  }
}
