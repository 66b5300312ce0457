/**
 * Twins: the JSON documents IoT Hub keeps per device and module (tags, desired and reported properties).
 */
import type { AuthenticationType, ConnectionState, DeviceCapabilities, DeviceStatus, X509Thumbprint } from './identity.js'

/** A twin properties section (desired or reported) as sent on the wire: properties plus `$version` and `$metadata`. */
export type TwinSection = Record<string, unknown> & { $version: number; $metadata?: Record<string, unknown> }

/**
 * A twin's read-only `configurations` section, IoT Hub's record of the automatic deployments (configurations) that
 * concern it: `Targeted` when the target condition matches, `Applied` when its content is what the twin was given.
 * Cased as IoT Hub writes it and as its system metric queries compare it (`configurations.[[id]].status = 'Applied'`).
 */
export type ConfigurationStatus = 'Targeted' | 'Applied'
export type TwinConfigurations = Record<string, { status: ConfigurationStatus }>

export interface Twin {
  deviceId: string
  moduleId?: string
  etag: string
  deviceEtag: string
  status: DeviceStatus
  statusReason?: string | null
  statusUpdateTime: string
  connectionState: ConnectionState
  lastActivityTime: string
  cloudToDeviceMessageCount: number
  authenticationType: AuthenticationType
  x509Thumbprint: X509Thumbprint
  modelId: string
  version: number
  tags: Record<string, unknown>
  properties: { desired: TwinSection; reported: TwinSection }
  capabilities?: DeviceCapabilities
  deviceScope?: string
  parentScopes?: string[]
  /** Service side only (devices never see it); absent when no automatic deployment concerns the twin. */
  configurations?: TwinConfigurations
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function define(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Applies a twin patch the way IoT Hub does (JSON merge patch, RFC 7386): objects merge recursively,
 * `null` removes a property, anything else replaces. Keys starting with `$` are reserved and ignored.
 * Returns a new object; `target` is not modified.
 */
export function mergeTwinPatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue
    if (value === null) delete out[key]
    // defineProperty, not assignment: a key named `__proto__` (JSON.parse makes those) must stay a plain property.
    else if (isObject(value)) define(out, key, mergeTwinPatch(isObject(out[key]) ? (out[key] as Record<string, unknown>) : {}, value))
    else define(out, key, value as Json)
  }
  return out
}

/** Removes `null` leaves: a desired document replaced as a whole keeps no nulls (they mean "delete"). */
export function withoutNulls(doc: Record<string, unknown>): Record<string, unknown> {
  return mergeTwinPatch({}, doc)
}

/** Why a twin document is not acceptable, or undefined. Twin rules: keys are at most 1 KB, without `.`, `$`, spaces or control characters (a leading `$` marks reserved keys, which are skipped); depth at most 10. */
export function validateTwinDocument(doc: unknown, what: string, maxDepth = 10): string | undefined {
  if (!isObject(doc)) return `${what} must be a JSON object`
  const walk = (node: Record<string, unknown>, path: string, depth: number): string | undefined => {
    if (depth > maxDepth) return `${what} is nested deeper than ${maxDepth} levels at '${path}'`
    for (const [k, v] of Object.entries(node)) {
      if (k.length === 0) return `${what} has an empty property name at '${path || '(root)'}'`
      if (k.length > 1024) return `${what} has a property name longer than 1024 characters at '${path || '(root)'}'`
      if (k.startsWith('$')) continue // reserved ($version, $metadata): dropped by the merge, not an error
      if (/[.$\s\x00-\x1f]/.test(k)) return `${what} property name '${k}' may not contain '.', '$', spaces or control characters`
      if (isObject(v)) {
        const err = walk(v, path ? `${path}.${k}` : k, depth + 1)
        if (err) return err
      } else if (Array.isArray(v)) {
        // IoT Hub accepts arrays in twins (since 2020) but not nulls inside them.
        if (v.some((e) => e === null)) return `${what} array '${path ? `${path}.${k}` : k}' may not contain null`
      }
    }
    return undefined
  }
  return walk(doc, '', 1)
}
