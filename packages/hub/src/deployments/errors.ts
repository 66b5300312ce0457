/** The deployments' errors, with IoT Hub's error codes. */
import { AppError } from '@ledge/common'

export const deploymentErrors = {
  notFound: (id: string) => new AppError('ERR_CONFIGURATION_NOT_FOUND', 'not_found', `configuration '${id}' does not exist`, { details: { errorCode: 'ConfigurationNotFound' } }),
  alreadyExists: (id: string) =>
    new AppError('ERR_CONFIGURATION_ALREADY_EXISTS', 'conflict', `configuration '${id}' already exists: update it with If-Match (its etag, or *)`, { details: { errorCode: 'ConfigurationAlreadyExists' } }),
  tooMany: (max: number) =>
    new AppError('ERR_TOO_MANY_CONFIGURATIONS', 'invalid', `the hub already has ${max} configurations, the limit: delete one first`, { details: { errorCode: 'TooManyConfigurationsOnHub' } }),
}
