/** Registry records in the JSON shapes of IoT Hub's REST API. */
import { NEVER, type Device, type Module, type Twin } from '@ledge/protocol'
import type { IdentityRecord } from '@ledge/storage'
import type { Presence } from '../presence/presence.js'

function latest(a: string | undefined, b: string): string {
  if (!a) return b
  return a > b ? a : b
}

export function toDevice(r: IdentityRecord, presence: Presence, c2dCount = 0): Device {
  const p = presence.view(r.deviceId)
  const d: Device = {
    deviceId: r.deviceId,
    generationId: r.generationId,
    etag: r.etag,
    connectionState: p.connectionState,
    connectionStateUpdatedTime: p.connectionStateUpdatedTime ?? NEVER,
    status: r.status,
    statusReason: r.statusReason,
    statusUpdatedTime: r.statusUpdatedTime,
    lastActivityTime: latest(p.lastActivityTime, r.lastActivityTime),
    cloudToDeviceMessageCount: c2dCount,
    authentication: r.authentication,
    capabilities: r.capabilities,
  }
  if (r.deviceScope !== undefined) d.deviceScope = r.deviceScope
  if (r.parentScopes !== undefined) d.parentScopes = r.parentScopes
  return d
}

export function toModule(r: IdentityRecord, presence: Presence): Module {
  const p = presence.view(r.deviceId, r.moduleId)
  return {
    moduleId: r.moduleId ?? '',
    deviceId: r.deviceId,
    managedBy: r.managedBy ?? null,
    generationId: r.generationId,
    etag: r.etag,
    connectionState: p.connectionState,
    connectionStateUpdatedTime: p.connectionStateUpdatedTime ?? NEVER,
    lastActivityTime: latest(p.lastActivityTime, r.lastActivityTime),
    cloudToDeviceMessageCount: 0,
    authentication: r.authentication,
  }
}

/** `$metadata` as IoT Hub gives it at section level (per-property metadata is not kept). */
function section(props: Record<string, unknown>, version: number, updated: string): Twin['properties']['desired'] {
  return { ...props, $metadata: { $lastUpdated: updated }, $version: version }
}

export function toTwin(r: IdentityRecord, presence: Presence, c2dCount = 0): Twin {
  const p = presence.view(r.deviceId, r.moduleId)
  const t: Twin = {
    deviceId: r.deviceId,
    etag: r.twin.etag,
    deviceEtag: r.etag,
    status: r.status,
    statusReason: r.statusReason,
    statusUpdateTime: r.statusUpdatedTime,
    connectionState: p.connectionState,
    lastActivityTime: latest(p.lastActivityTime, r.lastActivityTime),
    cloudToDeviceMessageCount: c2dCount,
    authenticationType: r.authentication.type,
    x509Thumbprint: r.authentication.x509Thumbprint,
    modelId: r.twin.modelId,
    version: r.twin.version,
    tags: r.twin.tags,
    properties: {
      desired: section(r.twin.desired, r.twin.desiredVersion, r.twin.desiredUpdatedTime),
      reported: section(r.twin.reported, r.twin.reportedVersion, r.twin.reportedUpdatedTime),
    },
  }
  if (r.moduleId) {
    t.moduleId = r.moduleId
    // As in IoT Hub, the section is left out entirely while no automatic deployment concerns the twin.
    if (r.configurations && Object.keys(r.configurations).length > 0) t.configurations = r.configurations
  } else {
    t.capabilities = r.capabilities
    if (r.deviceScope !== undefined) t.deviceScope = r.deviceScope
    if (r.parentScopes !== undefined) t.parentScopes = r.parentScopes
  }
  return t
}
