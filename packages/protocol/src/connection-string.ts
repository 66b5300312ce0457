/**
 * Connection strings: `Key=Value;Key=Value`, split on `;` then at the first `=`, as the Azure SDKs parse them.
 */

export class ConnectionStringError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConnectionStringError'
  }
}

export function parseConnectionString(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const part of text.split(';')) {
    if (part.trim() === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) throw new ConnectionStringError(`connection string part '${part}' is not Key=Value`)
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1))
  }
  return fields
}

export interface DeviceConnectionString {
  hostName: string
  deviceId: string
  moduleId?: string
  sharedAccessKey?: string
  sharedAccessKeyName?: string
  sharedAccessSignature?: string
  gatewayHostName?: string
  x509?: boolean
}

export function parseDeviceConnectionString(text: string): DeviceConnectionString {
  const f = parseConnectionString(text)
  const hostName = f.get('HostName')
  const deviceId = f.get('DeviceId')
  if (!hostName) throw new ConnectionStringError('device connection string has no HostName')
  if (!deviceId) throw new ConnectionStringError('device connection string has no DeviceId')
  const out: DeviceConnectionString = { hostName, deviceId }
  const set = <K extends keyof DeviceConnectionString>(k: K, v: DeviceConnectionString[K] | undefined): void => {
    if (v !== undefined) out[k] = v
  }
  set('moduleId', f.get('ModuleId'))
  set('sharedAccessKey', f.get('SharedAccessKey'))
  set('sharedAccessKeyName', f.get('SharedAccessKeyName'))
  set('sharedAccessSignature', f.get('SharedAccessSignature'))
  set('gatewayHostName', f.get('GatewayHostName'))
  if (f.get('x509')?.toLowerCase() === 'true') out.x509 = true
  if (!out.sharedAccessKey && !out.sharedAccessSignature && !out.x509) {
    throw new ConnectionStringError('device connection string needs SharedAccessKey, SharedAccessSignature or x509=true')
  }
  return out
}

export function formatDeviceConnectionString(c: DeviceConnectionString): string {
  const parts = [`HostName=${c.hostName}`, `DeviceId=${c.deviceId}`]
  if (c.moduleId) parts.push(`ModuleId=${c.moduleId}`)
  if (c.sharedAccessKeyName) parts.push(`SharedAccessKeyName=${c.sharedAccessKeyName}`)
  if (c.sharedAccessKey) parts.push(`SharedAccessKey=${c.sharedAccessKey}`)
  if (c.sharedAccessSignature) parts.push(`SharedAccessSignature=${c.sharedAccessSignature}`)
  if (c.x509) parts.push('x509=true')
  if (c.gatewayHostName) parts.push(`GatewayHostName=${c.gatewayHostName}`)
  return parts.join(';')
}

export interface ServiceConnectionString {
  hostName: string
  sharedAccessKeyName: string
  sharedAccessKey: string
}

export function parseServiceConnectionString(text: string): ServiceConnectionString {
  const f = parseConnectionString(text)
  const hostName = f.get('HostName')
  const sharedAccessKeyName = f.get('SharedAccessKeyName')
  const sharedAccessKey = f.get('SharedAccessKey')
  if (!hostName) throw new ConnectionStringError('service connection string has no HostName')
  if (!sharedAccessKeyName) throw new ConnectionStringError('service connection string has no SharedAccessKeyName')
  if (!sharedAccessKey) throw new ConnectionStringError('service connection string has no SharedAccessKey')
  return { hostName, sharedAccessKeyName, sharedAccessKey }
}

export function formatServiceConnectionString(c: ServiceConnectionString): string {
  return `HostName=${c.hostName};SharedAccessKeyName=${c.sharedAccessKeyName};SharedAccessKey=${c.sharedAccessKey}`
}
