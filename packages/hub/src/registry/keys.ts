import { randomBytes, randomInt } from 'node:crypto'

/** A SAS key as IoT Hub makes them: 32 random bytes, base64. */
export function generateKey(): string {
  return randomBytes(32).toString('base64')
}

/** IoT Hub's generation ids are 18-digit numbers; a new one tells a re-created identity from the old one. */
export function generateGenerationId(): string {
  return `6${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e8)).padStart(8, '0')}`
}

/** Identity etags look like IoT Hub's: base64 of a counter. */
export function identityEtag(n: number): string {
  return Buffer.from(String(n)).toString('base64')
}

/** The etag after `etag`: identity etags count the identity's versions. */
export function nextIdentityEtag(etag: string): string {
  const n = Number(Buffer.from(etag, 'base64').toString())
  return identityEtag(Number.isInteger(n) && n > 0 ? n + 1 : 2)
}

/** Twin etags look like IoT Hub's: base64 of the 8-byte twin version. */
export function twinEtag(version: number): string {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(version))
  return b.toString('base64')
}

/** A valid SAS key: base64 of 16 to 64 bytes. */
export function isValidKey(key: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) return false
  const n = Buffer.from(key, 'base64').length
  return n >= 16 && n <= 64
}
