/**
 * Identities in the registry: devices and modules, in the JSON shapes IoT Hub's REST API
 * (api-version 2021-04-12) sends and the `azure-iothub` Registry client reads.
 */

export type DeviceStatus = 'enabled' | 'disabled'
export type ConnectionState = 'Connected' | 'Disconnected'
export type AuthenticationType = 'sas' | 'selfSigned' | 'certificateAuthority' | 'none'

export interface SymmetricKey {
  primaryKey: string
  secondaryKey: string
}

export interface X509Thumbprint {
  primaryThumbprint: string | null
  secondaryThumbprint: string | null
}

export interface AuthenticationMechanism {
  type: AuthenticationType
  symmetricKey: SymmetricKey
  x509Thumbprint: X509Thumbprint
}

export interface DeviceCapabilities {
  iotEdge: boolean
}

/** A device identity as the REST API returns it. */
export interface Device {
  deviceId: string
  generationId: string
  etag: string
  connectionState: ConnectionState
  connectionStateUpdatedTime: string
  status: DeviceStatus
  statusReason: string | null
  statusUpdatedTime: string
  lastActivityTime: string
  cloudToDeviceMessageCount: number
  authentication: AuthenticationMechanism
  capabilities: DeviceCapabilities
  /** For an edge device, its own scope: `ms-azure-iot-edge://{deviceId}-{generationId}`; for a leaf device, its parent's scope. */
  deviceScope?: string
  /** Scopes of the parents of an edge device (nested edge) or of a leaf device. */
  parentScopes?: string[]
}

/** A module identity as the REST API returns it. */
export interface Module {
  moduleId: string
  deviceId: string
  managedBy: string | null
  generationId: string
  etag: string
  connectionState: ConnectionState
  connectionStateUpdatedTime: string
  lastActivityTime: string
  cloudToDeviceMessageCount: number
  authentication: AuthenticationMechanism
}

/** The time IoT Hub uses for "never": `0001-01-01T00:00:00Z`. */
export const NEVER = '0001-01-01T00:00:00Z'

/** The module identities IoT Hub creates with every edge-enabled device. */
export const EDGE_SYSTEM_MODULES = ['$edgeAgent', '$edgeHub'] as const

/** IoT Hub's device scope string for an edge device. */
export function edgeDeviceScope(deviceId: string, generationId: string): string {
  return `ms-azure-iot-edge://${deviceId}-${generationId}`
}

/**
 * Device and module ids: up to 128 characters of ASCII letters, digits and `- . + % _ # * ? ! ( ) , : = @ $ '`.
 * Module ids may start with `$` only for the edge system modules.
 */
const ID_PATTERN = /^[A-Za-z0-9\-.+%_#*?!(),:=@$']{1,128}$/

export function validateDeviceId(id: string): string | undefined {
  if (!ID_PATTERN.test(id)) return `invalid device id '${id}': use 1-128 characters of letters, digits and - . + % _ # * ? ! ( ) , : = @ $ '`
  return undefined
}

export function validateModuleId(id: string): string | undefined {
  if (!ID_PATTERN.test(id)) return `invalid module id '${id}': use 1-128 characters of letters, digits and - . + % _ # * ? ! ( ) , : = @ $ '`
  return undefined
}
