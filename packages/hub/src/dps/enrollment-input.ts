/**
 * The enrollment bodies the DPS service API accepts (Azure's `IndividualEnrollment` and `EnrollmentGroup`, symmetric
 * key attestation only), and the records they become.
 */
import { z } from 'zod'

const symmetricKeyAttestation = z.object({
  type: z.literal('symmetricKey'),
  symmetricKey: z.object({ primaryKey: z.string().nullish(), secondaryKey: z.string().nullish() }).partial().nullish(),
})

const common = {
  attestation: symmetricKeyAttestation.optional(),
  capabilities: z.object({ iotEdge: z.boolean().optional() }).nullish(),
  initialTwin: z
    .object({
      tags: z.record(z.string(), z.unknown()).nullish(),
      properties: z.object({ desired: z.record(z.string(), z.unknown()).nullish() }).nullish(),
    })
    .nullish(),
  provisioningStatus: z.enum(['enabled', 'disabled']).optional(),
  reprovisionPolicy: z.object({ updateHubAssignment: z.boolean().optional(), migrateDeviceData: z.boolean().optional() }).nullish(),
  allocationPolicy: z.string().nullish(),
  iotHubHostName: z.string().nullish(),
  iotHubs: z.array(z.string()).nullish(),
  etag: z.string().nullish(),
}

export const enrollmentInput = z.looseObject({
  registrationId: z.string().optional(),
  deviceId: z.string().nullish(),
  ...common,
})
export type EnrollmentInput = z.infer<typeof enrollmentInput>

export const enrollmentGroupInput = z.looseObject({
  enrollmentGroupId: z.string().optional(),
  ...common,
})
export type EnrollmentGroupInput = z.infer<typeof enrollmentGroupInput>

/** What an enrollment and a group share, as stored and served. */
export interface EnrollmentCommon {
  attestation: { type: 'symmetricKey'; symmetricKey: { primaryKey: string; secondaryKey: string } }
  capabilities: { iotEdge: boolean }
  initialTwin: { tags: Record<string, unknown>; properties: { desired: Record<string, unknown> } }
  provisioningStatus: 'enabled' | 'disabled'
  reprovisionPolicy: { updateHubAssignment: boolean; migrateDeviceData: boolean }
  allocationPolicy: 'static'
  iotHubHostName: string
  etag: string
  createdDateTimeUtc: string
  lastUpdatedDateTimeUtc: string
}

export interface IndividualEnrollment extends EnrollmentCommon {
  registrationId: string
  deviceId?: string
}

export interface EnrollmentGroup extends EnrollmentCommon {
  enrollmentGroupId: string
}

/** DPS `DeviceRegistrationState`. */
export interface DeviceRegistrationState {
  registrationId: string
  enrollmentGroupId?: string
  createdDateTimeUtc: string
  assignedHub: string
  deviceId: string
  status: 'assigned'
  substatus: 'initialAssignment' | 'deviceDataMigrated' | 'deviceDataReset' | 'reprovisionedToInitialAssignment'
  lastUpdatedDateTimeUtc: string
  etag: string
}
