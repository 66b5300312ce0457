/**
 * The hub's errors. Each carries IoT Hub's ErrorCode (what the Azure service SDK turns into its error classes)
 * in `details.errorCode`; the kind picks the HTTP status.
 */
import { AppError, type ErrorKind } from '@ledge/common'

function hubError(errorCode: string, kind: ErrorKind, message: string, cause?: unknown): AppError {
  return new AppError(`ERR_${errorCode.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c).toUpperCase()}`, kind, message, {
    details: { errorCode },
    ...(cause !== undefined ? { cause } : {}),
  })
}

export const errors = {
  deviceNotFound: (d: string) => hubError('DeviceNotFound', 'not_found', `device '${d}' does not exist`),
  moduleNotFound: (d: string, m: string) => hubError('ModuleNotFound', 'not_found', `module '${m}' does not exist on device '${d}'`),
  deviceAlreadyExists: (d: string) => hubError('DeviceAlreadyExists', 'conflict', `device '${d}' already exists`),
  moduleAlreadyExists: (d: string, m: string) => hubError('ModuleAlreadyExistsOnDevice', 'conflict', `module '${m}' already exists on device '${d}'`),
  preconditionFailed: (what: string) => hubError('PreconditionFailed', 'precondition', what),
  argumentInvalid: (what: string) => hubError('ArgumentInvalid', 'invalid', what),
  invalidProtocolVersion: (v: string | undefined, supported: readonly string[]) =>
    hubError('InvalidProtocolVersion', 'invalid', v === undefined
      ? `the api-version query parameter is required (supported: ${supported.join(', ')})`
      : `api-version '${v}' is not supported (supported: ${supported.join(', ')})`),
  unauthorized: (why: string) => hubError('IotHubUnauthorizedAccess', 'unauthorized', why),
  forbidden: (why: string) => hubError('IotHubUnauthorizedAccess', 'forbidden', why),
  deviceNotOnline: (target: string) => hubError('DeviceNotOnline', 'not_found', `${target} is not online: connect it and subscribe to direct methods first`),
  gatewayTimeout: (target: string, seconds: number) => hubError('GatewayTimeout', 'timeout', `${target} did not answer the direct method within ${seconds} s`),
  messageTooLarge: (what: string, size: number, max: number) =>
    hubError('MessageTooLarge', 'too_large', `${what} is ${size} bytes, more than the limit of ${max} bytes`),
  queueFull: (d: string, depth: number) =>
    hubError('DeviceMaximumQueueDepthExceeded', 'forbidden', `the C2D queue of device '${d}' is full (${depth} messages): wait for the device to receive them`),
  malformedJson: (why: string) => hubError('ArgumentInvalid', 'invalid', `the request body is not valid JSON: ${why}`),
  invalidOperation: (why: string) => hubError('InvalidOperation', 'invalid', why),
  notFound: (what: string) => hubError('NotFound', 'not_found', what),
}

export function errorCodeOf(err: AppError): string {
  const code = err.details?.errorCode
  if (typeof code === 'string') return code
  switch (err.kind) {
    case 'not_found': return 'NotFound'
    case 'conflict': return 'Conflict'
    case 'precondition': return 'PreconditionFailed'
    case 'unauthorized': case 'forbidden': return 'IotHubUnauthorizedAccess'
    case 'too_large': return 'RequestEntityTooLarge'
    case 'throttled': return 'ThrottlingException'
    case 'timeout': return 'GatewayTimeout'
    case 'invalid': return 'ArgumentInvalid'
    default: return 'ServerError'
  }
}
