import { AppError } from '@ledge/common'

/** The errors every storage adapter throws, so that services can react the same way to each. */
export const storeErrors = {
  conflict: (what: string) => new AppError('ERR_STORE_CONFLICT', 'conflict', what),
  notFound: (what: string) => new AppError('ERR_STORE_NOT_FOUND', 'not_found', what),
  unavailable: (what: string, cause?: unknown) => new AppError('ERR_STORE_UNAVAILABLE', 'unavailable', what, { cause }),
  queueFull: (deviceId: string, depth: number) =>
    new AppError('ERR_QUEUE_FULL', 'throttled', `the C2D queue of device '${deviceId}' already holds ${depth} messages`),
}
