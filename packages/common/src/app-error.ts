/**
 * One error type for Ledge's expected failures: a stable `code` (for clients and tests), a `kind` that decides the
 * HTTP status and whether to retry, and an optional `cause`.
 */

export type ErrorKind =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'precondition'
  | 'unauthorized'
  | 'forbidden'
  | 'too_large'
  | 'throttled'
  | 'unavailable'
  | 'timeout'
  | 'internal'

export class AppError extends Error {
  readonly code: string
  readonly kind: ErrorKind
  /** Extra machine-readable detail for the response (e.g. IoT Hub's ErrorCode). */
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, kind: ErrorKind, message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options)
    this.name = 'AppError'
    this.code = code
    this.kind = kind
    this.details = options?.details
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError
}

/** The HTTP status for each kind. */
export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition: 412,
  too_large: 413,
  throttled: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
}

/** Kinds worth retrying: the condition may pass. */
export function isTransient(err: unknown): boolean {
  return isAppError(err) && (err.kind === 'unavailable' || err.kind === 'timeout' || err.kind === 'throttled')
}
