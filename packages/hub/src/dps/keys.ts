/** Keys and names of the device provisioning service, as Azure DPS makes them (device keys: @ledge/protocol). */
import { randomBytes } from 'node:crypto'

/** An enrollment key as Azure DPS generates them: 64 random bytes, base64. */
export function generateEnrollmentKey(): string {
  return randomBytes(64).toString('base64')
}

/** An id scope in Azure's shape: `0ne` and 8 upper-case hex digits. */
export function generateIdScope(): string {
  return `0ne${randomBytes(4).toString('hex').toUpperCase()}`
}

/** A DPS etag: an opaque quoted-free string that changes on every write. */
export function generateEtag(): string {
  return randomBytes(8).toString('base64url')
}

/** An operation id in Azure's shape (`4.<hex>.<uuid>`). */
export function generateOperationId(): string {
  const hex = randomBytes(8).toString('hex')
  const u = randomBytes(16).toString('hex')
  return `4.${hex}.${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20)}`
}

/** DPS registration ids: up to 128 of alphanumerics and `-._:`, ending in an alphanumeric or `-`. */
const REGISTRATION_ID = /^[A-Za-z0-9\-._:]{0,127}[A-Za-z0-9-]$/

export function validateRegistrationId(id: string): string | undefined {
  return REGISTRATION_ID.test(id) ? undefined : `registration id '${id}' must be 1 to 128 characters of letters, digits and '-._:', ending in a letter, digit or '-'`
}
