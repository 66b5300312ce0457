/**
 * The provisioning service's errors. Device-facing ones carry DPS's numeric `errorCode` (401002 unauthorized, …) in
 * `details.dpsErrorCode`; the kind picks the HTTP status (and the MQTT response topic's status).
 */
import { AppError, type ErrorKind } from '@ledge/common'

function dpsError(code: string, kind: ErrorKind, dpsErrorCode: number, message: string): AppError {
  return new AppError(code, kind, message, { details: { dpsErrorCode, errorCode: code === 'ERR_DPS_NOT_FOUND' ? 'NotFound' : 'ArgumentInvalid' } })
}

export const dpsErrors = {
  /** A wrong or expired key, a token for another resource, or no enrollment for the registration id. */
  unauthorized: (why: string) => new AppError('ERR_DPS_UNAUTHORIZED', 'unauthorized', why, { details: { dpsErrorCode: 401002, errorCode: 'IotHubUnauthorizedAccess' } }),
  /** The enrollment (or its group) exists but is disabled. */
  enrollmentDisabled: (what: string) =>
    new AppError('ERR_DPS_ENROLLMENT_DISABLED', 'unauthorized', `${what} is disabled: enable it to let the device register`, { details: { dpsErrorCode: 401002, errorCode: 'IotHubUnauthorizedAccess' } }),
  badRequest: (why: string) => dpsError('ERR_DPS_BAD_REQUEST', 'invalid', 400004, why),
  notFound: (what: string) => dpsError('ERR_DPS_NOT_FOUND', 'not_found', 404201, what),
}

/** DPS's numeric error code for an error (500000 for anything unexpected). */
export function dpsErrorCodeOf(err: unknown): number {
  const code = (err as AppError | undefined)?.details?.dpsErrorCode
  return typeof code === 'number' ? code : 500000
}
