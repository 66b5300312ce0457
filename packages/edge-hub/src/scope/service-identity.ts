/**
 * The identities of the edge device's scope, as the edge hub keeps them: IoT Hub's `Device` and `Module` REST shapes
 * reduced to what authentication needs (iotedge `ServiceIdentity`).
 */
import { describeIdentity, identityKey, type ClientIdentity } from '../identity.js'

export { describeIdentity, type ClientIdentity }

/** Gives the edge hub's own SAS token (`{hub}/devices/{edge}/modules/$edgeHub`); in production signed through the workload API. */
export type TokenSource = () => Promise<string>

export const EDGE_HUB_MODULE_ID = '$edgeHub'

export interface ServiceIdentity {
  deviceId: string
  moduleId?: string
  generationId: string
  etag: string
  /** Modules have no status of their own in IoT Hub: they follow their device. */
  status: 'enabled' | 'disabled'
  /** Devices only. */
  capabilities?: { iotEdge: boolean }
  deviceScope?: string
  parentScopes?: string[]
  authentication: {
    /** `sas`, `selfSigned`, `certificateAuthority` or `none`. */
    type: string
    symmetricKey?: { primaryKey: string | null; secondaryKey: string | null }
    x509Thumbprint?: { primaryThumbprint: string | null; secondaryThumbprint: string | null }
  }
}

/** `d` or `d/m`: the map key of an identity, and its MQTT client id. */
export function keyOf(id: ClientIdentity): string {
  return identityKey(id.deviceId, id.moduleId)
}

/** Reads one `Device` or `Module` of a `ScopeResult`; undefined when it lacks what authentication needs. */
export function serviceIdentityFromWire(raw: unknown, kind: 'device' | 'module'): ServiceIdentity | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const r = raw as Record<string, unknown>
  if (typeof r.deviceId !== 'string' || r.deviceId === '') return undefined
  if (kind === 'module' && (typeof r.moduleId !== 'string' || r.moduleId === '')) return undefined
  const auth = (typeof r.authentication === 'object' && r.authentication !== null ? r.authentication : {}) as Record<string, unknown>
  const sk = auth.symmetricKey as { primaryKey?: unknown; secondaryKey?: unknown } | undefined
  const tp = auth.x509Thumbprint as { primaryThumbprint?: unknown; secondaryThumbprint?: unknown } | undefined
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
  const id: ServiceIdentity = {
    deviceId: r.deviceId,
    generationId: typeof r.generationId === 'string' ? r.generationId : '',
    etag: typeof r.etag === 'string' ? r.etag : '',
    status: r.status === 'disabled' ? 'disabled' : 'enabled',
    authentication: {
      type: typeof auth.type === 'string' ? auth.type : 'sas',
      ...(sk ? { symmetricKey: { primaryKey: str(sk.primaryKey), secondaryKey: str(sk.secondaryKey) } } : {}),
      ...(tp ? { x509Thumbprint: { primaryThumbprint: str(tp.primaryThumbprint), secondaryThumbprint: str(tp.secondaryThumbprint) } } : {}),
    },
  }
  if (kind === 'module') id.moduleId = r.moduleId as string
  else {
    const caps = r.capabilities as { iotEdge?: unknown } | undefined
    id.capabilities = { iotEdge: caps?.iotEdge === true }
    if (typeof r.deviceScope === 'string') id.deviceScope = r.deviceScope
    if (Array.isArray(r.parentScopes)) id.parentScopes = r.parentScopes.filter((s): s is string => typeof s === 'string')
  }
  return id
}
