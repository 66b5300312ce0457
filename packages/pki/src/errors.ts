/**
 * The errors of `@ledge/pki`. All are `AppError`s of kind `invalid`: a certificate, key or option that cannot be used.
 * Messages name the file (or the in-memory input) and what is wrong with it.
 */
import { AppError } from '@ledge/common'

const invalid = (code: string, message: string, cause?: unknown): AppError =>
  new AppError(code, 'invalid', message, cause !== undefined ? { cause } : undefined)

export const errors = {
  invalidOption: (what: string) => invalid('ERR_PKI_INVALID_OPTION', what),
  fileMissing: (source: string) => invalid('ERR_PKI_FILE_MISSING', `${source} does not exist`),
  fileUnreadable: (source: string, cause: unknown) =>
    invalid('ERR_PKI_FILE_UNREADABLE', `${source} cannot be read: ${(cause as Error).message}`, cause),
  notPem: (source: string, expected: string) =>
    invalid('ERR_PKI_NOT_PEM', `${source} is not PEM: expected a '-----BEGIN ${expected}-----' block`),
  certificateInvalid: (source: string, why: string, cause?: unknown) =>
    invalid('ERR_PKI_CERTIFICATE_INVALID', `${source} ${why}`, cause),
  keyInvalid: (source: string, why: string, cause?: unknown) => invalid('ERR_PKI_KEY_INVALID', `${source} ${why}`, cause),
  keyUnsupported: (source: string, type: string) =>
    invalid('ERR_PKI_KEY_UNSUPPORTED', `${source} holds a ${type} key; Ledge can sign with ECDSA (P-256, P-384, P-521) and RSA keys`),
  keyMismatch: (keySource: string, certSource: string) =>
    invalid('ERR_PKI_KEY_MISMATCH', `${keySource} does not match ${certSource}: the private key is not the one of the certificate`),
  notCa: (source: string, why: string) => invalid('ERR_PKI_NOT_CA', `${source} is not a CA certificate: ${why}`),
  expired: (source: string, notAfter: Date) =>
    invalid('ERR_PKI_CERTIFICATE_EXPIRED', `${source} expired on ${notAfter.toISOString()}`),
  notYetValid: (source: string, notBefore: Date) =>
    invalid('ERR_PKI_CERTIFICATE_NOT_YET_VALID', `${source} is not valid before ${notBefore.toISOString()}`),
  untrusted: (certSource: string, caSource: string) =>
    invalid('ERR_PKI_CHAIN_UNTRUSTED', `${certSource} is not issued by any certificate in ${caSource}`),
  caIncomplete: (present: string, missing: string) =>
    invalid(
      'ERR_PKI_CA_INCOMPLETE',
      `${present} exists but ${missing} does not: restore it, or delete both to create a new CA (clients must then trust the new CA)`,
    ),
}
