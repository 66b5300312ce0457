/**
 * Service SAS tokens made in the browser with WebCrypto, in exactly the format of `@ledge/protocol`'s
 * `createServiceSasToken` (and of azure-iothub): `SharedAccessSignature sr=<host>&sig=<sig>&skn=<policy>&se=<expiry>`,
 * `sig = encodeURIComponentStrict(base64(HMAC-SHA256(base64decode(key), sr + "\n" + se)))`, sr not encoded.
 */

/** A parsed hub access policy connection string. */
export interface ServiceLogin {
  hostName: string
  policyName: string
  key: string
}

export class LoginError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LoginError'
  }
}

/** `encodeURIComponent` that also escapes `!'()*`, with lowercase hex for those five, as azure-iot-common does. */
export function encodeUriComponentStrict(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16))
}

/** Parses `HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`; throws {@link LoginError} saying what is missing. */
export function parseServiceConnectionString(text: string): ServiceLogin {
  const fields = new Map<string, string>()
  for (const part of text.trim().split(';')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) throw new LoginError(`'${part.slice(0, 40)}' is not Name=value: paste the whole connection string`)
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  if (fields.has('DeviceId')) throw new LoginError('this is a device connection string: the dashboard needs a hub access policy (SharedAccessKeyName=…)')
  const hostName = fields.get('HostName')
  const policyName = fields.get('SharedAccessKeyName')
  const key = fields.get('SharedAccessKey')
  const missing = [!hostName && 'HostName', !policyName && 'SharedAccessKeyName', !key && 'SharedAccessKey'].filter(Boolean)
  if (missing.length) throw new LoginError(`the connection string has no ${missing.join(', ')}: expected HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`)
  if (!isBase64(key!)) throw new LoginError('SharedAccessKey is not base64: copy the key again')
  return { hostName: hostName!, policyName: policyName!, key: key! }
}

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(s) && s.length % 4 === 0
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin)
}

/** HMAC-SHA256 of `data` (UTF-8) under a base64 key, as base64. */
export async function hmacSha256Base64(keyBase64: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', base64ToBytes(keyBase64), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const sig = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(data))
  return bytesToBase64(new Uint8Array(sig))
}

/** A service token for the hub: sr is the host name, signed with the policy key, valid until `expiresAt` (epoch s). */
export async function createServiceSasToken(login: ServiceLogin, expiresAt: number): Promise<string> {
  const se = Math.ceil(expiresAt)
  const sig = encodeUriComponentStrict(await hmacSha256Base64(login.key, `${login.hostName}\n${se}`))
  return `SharedAccessSignature sr=${login.hostName}&sig=${sig}&skn=${encodeUriComponentStrict(login.policyName)}&se=${se}`
}

/** What a ready-made token says about itself (no signature check: only the hub can do that). */
export interface TokenInfo {
  hostName: string
  policyName: string | undefined
  /** Epoch seconds. */
  expiresAt: number
}

/** Reads a `SharedAccessSignature …` token's resource, policy and expiry; throws {@link LoginError} when malformed. */
export function inspectSasToken(token: string): TokenInfo {
  const t = token.trim()
  if (!t.startsWith('SharedAccessSignature ')) throw new LoginError("a SAS token starts with 'SharedAccessSignature ': paste the whole token the CLI printed")
  const fields = new Map<string, string>()
  for (const pair of t.slice('SharedAccessSignature '.length).split('&')) {
    const eq = pair.indexOf('=')
    if (eq > 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  const sr = fields.get('sr')
  const se = fields.get('se')
  if (!sr || !fields.get('sig') || !se || !/^\d+$/.test(se)) throw new LoginError('the SAS token lacks sr, sig or se: paste the whole token the CLI printed')
  const skn = fields.get('skn')
  let host = sr
  try {
    host = decodeURIComponent(sr)
  } catch {
    /* keep it as it is */
  }
  return { hostName: host.replace(/^[a-z]+:\/\//i, '').split('/')[0]!, policyName: skn === undefined ? undefined : decodeURIComponent(skn), expiresAt: Number(se) }
}
