/** The store's coded errors (see `@ledge/common` AppError). Tests compare `code`. */
import { AppError } from '@ledge/common'

const MiB = 1024 * 1024
const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`

export const errors = {
  /** Back-pressure: the quota (or the disk's reserve) is reached; the sender should retry later. */
  storeFull(usedBytes: number, maxBytes: number, needBytes: number): AppError {
    return new AppError(
      'ERR_STORE_FULL',
      'throttled',
      `edge hub store is full: ${mib(usedBytes)} of its ${mib(maxBytes)} quota (maxBytes=${maxBytes}) in use, ` +
        `${needBytes} more bytes needed; message refused (policy backpressure)`,
      { details: { usedBytes, maxBytes, needBytes } },
    )
  },
  diskLow(freeBytes: number, minFreeBytes: number, dir: string): AppError {
    return new AppError(
      'ERR_STORE_FULL',
      'throttled',
      `edge hub store is full: the disk of ${dir} has ${mib(freeBytes)} free, below the ${mib(minFreeBytes)} ` +
        `reserve (minFreeDiskBytes); message refused`,
      { details: { freeBytes, minFreeBytes } },
    )
  },
  tooLarge(bytes: number, maxBytes: number): AppError {
    return new AppError('ERR_MESSAGE_TOO_LARGE', 'too_large', `a message of ${bytes} bytes can never fit the store's ${maxBytes}-byte quota`)
  },
  closed(): AppError {
    return new AppError('ERR_STORE_CLOSED', 'unavailable', 'the message store is closed')
  },
  noTarget(): AppError {
    return new AppError('ERR_STORE_NO_TARGET', 'invalid', 'a message must go to at least one queue')
  },
  corrupt(what: string, options?: ErrorOptions): AppError {
    return new AppError('ERR_STORE_CORRUPT', 'internal', `the message store is corrupt: ${what}`, options)
  },
  schemaTooNew(found: number, known: number): AppError {
    return new AppError('ERR_STORE_SCHEMA_TOO_NEW', 'internal', `the message store has schema version ${found}; this edge hub knows up to ${known}`)
  },
}
