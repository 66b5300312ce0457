/**
 * Shared access signatures, exactly as the Azure IoT SDKs make them (reference: azure-sdk-wire.md §4).
 *
 * `SharedAccessSignature sr=<sr>&sig=<sig>&se=<expiry>[&skn=<keyName>]`, where
 * `sig = encodeURIComponentStrict(base64(HMAC-SHA256(base64decode(key), sr + "\n" + se)))` and the HMAC runs over
 * `sr` exactly as it appears in the token (device and module sr are URL-encoded, service and DPS sr are not).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** `encodeURIComponent` that also escapes `!'()*`, with lowercase hex for those five, as azure-iot-common does. */
export function encodeUriComponentStrict(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16))
}

export function hmacSha256Base64(keyBase64: string, data: string | Buffer): string {
  return createHmac('sha256', Buffer.from(keyBase64, 'base64')).update(data).digest('base64')
}

/**
 * A device's key in a DPS enrollment group with symmetric keys: base64(HMAC-SHA256(base64decode(groupKey),
 * registrationId)), what `az iot dps enrollment-group compute-device-key` and the Azure SDK samples compute.
 */
export function deriveDeviceKey(groupKeyBase64: string, registrationId: string): string {
  return hmacSha256Base64(groupKeyBase64, registrationId)
}

export interface SasToken {
  /** The resource URI exactly as it appears in the token (still encoded where the client encoded it). */
  sr: string
  /** The signature, URL-decoded (plain base64). */
  sig: string
  /** Expiry in seconds since the epoch. */
  se: number
  /** Key (policy) name, when the token was signed with a shared access policy key. */
  skn?: string
}

export class SasTokenFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SasTokenFormatError'
  }
}

const PREFIX = 'SharedAccessSignature '

/** Parses a token; throws {@link SasTokenFormatError} naming what is wrong. */
export function parseSasToken(token: string): SasToken {
  if (!token.startsWith(PREFIX)) throw new SasTokenFormatError("SAS token must start with 'SharedAccessSignature '")
  const fields = new Map<string, string>()
  for (const pair of token.slice(PREFIX.length).trim().split('&')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new SasTokenFormatError(`SAS token field '${pair}' is not name=value`)
    const name = pair.slice(0, eq)
    if (fields.has(name)) throw new SasTokenFormatError(`SAS token field '${name}' appears twice`)
    fields.set(name, pair.slice(eq + 1))
  }
  const sr = fields.get('sr')
  const sig = fields.get('sig')
  const se = fields.get('se')
  if (!sr) throw new SasTokenFormatError("SAS token has no 'sr' (resource URI)")
  if (!sig) throw new SasTokenFormatError("SAS token has no 'sig' (signature)")
  if (!se) throw new SasTokenFormatError("SAS token has no 'se' (expiry)")
  if (!/^\d+$/.test(se)) throw new SasTokenFormatError(`SAS token expiry 'se=${se}' is not a number of seconds`)
  let decodedSig: string
  try {
    decodedSig = decodeURIComponent(sig)
  } catch {
    throw new SasTokenFormatError('SAS token signature is not URL-encoded correctly')
  }
  const skn = fields.get('skn')
  let decodedSkn: string | undefined
  try {
    decodedSkn = skn === undefined ? undefined : decodeURIComponent(skn)
  } catch {
    throw new SasTokenFormatError('SAS token key name (skn) is not URL-encoded correctly')
  }
  return { sr, sig: decodedSig, se: Number(se), ...(decodedSkn !== undefined ? { skn: decodedSkn } : {}) }
}

/** Signs `sr` (used verbatim) with a base64 key; returns the token text. Field order sr, sig, skn, se as the SDKs. */
export function createSasToken(opts: { sr: string; keyBase64: string; expiresAt: number; keyName?: string }): string {
  const se = Math.ceil(opts.expiresAt)
  const sig = encodeUriComponentStrict(hmacSha256Base64(opts.keyBase64, `${opts.sr}\n${se}`))
  return `${PREFIX}sr=${opts.sr}&sig=${sig}${opts.keyName ? `&skn=${encodeUriComponentStrict(opts.keyName)}` : ''}&se=${se}`
}

/** True when `token.sig` is the HMAC of its raw sr and se under `keyBase64` (constant-time compare). */
export function verifySasSignature(token: SasToken, keyBase64: string): boolean {
  if (!keyBase64) return false
  const expected = Buffer.from(hmacSha256Base64(keyBase64, `${token.sr}\n${token.se}`), 'base64')
  const given = Buffer.from(token.sig, 'base64')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/**
 * The resource a token grants, decoded and normalised for comparison: `host/devices/d[/modules/m]`, lowercase host.
 * IoT Hub accepts a token whose resource is the device, the module, or a prefix of them (e.g. the hub host).
 */
export function normaliseResourceUri(sr: string): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(sr)
  } catch {
    decoded = sr
  }
  decoded = decoded.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '')
  const slash = decoded.indexOf('/')
  return slash < 0 ? decoded.toLowerCase() : decoded.slice(0, slash).toLowerCase() + decoded.slice(slash)
}

/** The resource URI a device or module token is for (`host/devices/d[/modules/m]`), unencoded. */
export function identityResourceUri(hostName: string, deviceId: string, moduleId?: string): string {
  return `${hostName}/devices/${deviceId}${moduleId ? `/modules/${moduleId}` : ''}`
}

/** A device or module token, as the device SDK makes it (sr URL-encoded). */
export function createIdentitySasToken(opts: {
  hostName: string
  deviceId: string
  moduleId?: string
  keyBase64: string
  expiresAt: number
  keyName?: string
}): string {
  const sr = encodeUriComponentStrict(identityResourceUri(opts.hostName, opts.deviceId, opts.moduleId))
  return createSasToken({ sr, keyBase64: opts.keyBase64, expiresAt: opts.expiresAt, ...(opts.keyName ? { keyName: opts.keyName } : {}) })
}

/** A service token, as azure-iothub makes it (sr = host name, not encoded, skn = policy name). */
export function createServiceSasToken(opts: { hostName: string; policyName: string; keyBase64: string; expiresAt: number }): string {
  return createSasToken({ sr: opts.hostName, keyBase64: opts.keyBase64, expiresAt: opts.expiresAt, keyName: opts.policyName })
}
