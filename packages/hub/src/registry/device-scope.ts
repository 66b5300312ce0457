/**
 * An edge device's device scope, as IoT Hub gives it to the edge hub for offline authentication: the edge device
 * itself and its modules, then every device whose scope is the edge device's (its leaf devices: `deviceScope`; its
 * child edge devices in a nested hierarchy: `parentScopes`), each followed by its modules.
 *
 * Paging walks that order with a cursor (the last identity returned), so a page boundary may fall anywhere, and an
 * identity added or removed between pages only shifts what later pages hold.
 */
import type { IdentityKey, IdentityRecord, IdentityRepository } from '@ledge/storage'

/** Devices read per repository call while looking for the ones in scope. */
const SCAN_CHUNK = 500

/** True when `device` belongs to the scope of the edge device whose scope string is `scope`. */
export function inDeviceScope(scope: string, device: IdentityRecord): boolean {
  return device.deviceScope === scope || (device.parentScopes ?? []).includes(scope)
}

/** The identities of an edge device's scope, in paging order, after `after` (exclusive). */
export async function* walkDeviceScope(identities: IdentityRepository, edge: IdentityRecord, after?: IdentityKey): AsyncGenerator<IdentityRecord> {
  const scope = edge.deviceScope
  if (!scope) return
  const modulesAfter = async function* (deviceId: string, moduleId: string | null): AsyncGenerator<IdentityRecord> {
    for (const m of await identities.listModules(deviceId)) {
      if (moduleId === null || m.moduleId! > moduleId) yield m
    }
  }
  let cursor: string | undefined
  if (!after || after.deviceId === edge.deviceId) {
    // The edge device and its modules come first.
    if (!after) yield edge
    yield* modulesAfter(edge.deviceId, after?.moduleId ?? null)
  } else {
    // Resume inside a device's modules, if that device is still in scope.
    const device = await identities.get(after.deviceId)
    if (device && inDeviceScope(scope, device)) yield* modulesAfter(device.deviceId, after.moduleId)
    cursor = after.deviceId
  }
  for (;;) {
    const chunk = await identities.listDevices({ limit: SCAN_CHUNK, ...(cursor !== undefined ? { after: cursor } : {}) })
    for (const d of chunk) {
      if (d.deviceId === edge.deviceId || !inDeviceScope(scope, d)) continue
      yield d
      yield* modulesAfter(d.deviceId, null)
    }
    if (chunk.length < SCAN_CHUNK) return
    cursor = chunk[chunk.length - 1]!.deviceId
  }
}

export interface DeviceScopePage {
  records: IdentityRecord[]
  /** The cursor of the next page; absent on the last page. */
  next?: IdentityKey
}

/** Up to `limit` identities of the scope after `after`. */
export async function readDeviceScopePage(identities: IdentityRepository, edge: IdentityRecord, after: IdentityKey | undefined, limit: number): Promise<DeviceScopePage> {
  const records: IdentityRecord[] = []
  let more = false
  for await (const r of walkDeviceScope(identities, edge, after)) {
    if (records.length === limit) {
      more = true
      break
    }
    records.push(r)
  }
  const last = records[records.length - 1]
  return more && last ? { records, next: { deviceId: last.deviceId, moduleId: last.moduleId } } : { records }
}

/**
 * Whether `deviceId[/moduleId]` is in the scope of `edge` (the edge device itself and its modules included), and its
 * record if so.
 */
export async function findInDeviceScope(identities: IdentityRepository, edge: IdentityRecord, deviceId: string, moduleId?: string | null): Promise<IdentityRecord | undefined> {
  const scope = edge.deviceScope
  if (!scope) return undefined
  const device = deviceId === edge.deviceId ? edge : await identities.get(deviceId)
  if (!device || (device.deviceId !== edge.deviceId && !inDeviceScope(scope, device))) return undefined
  return moduleId ? identities.get(deviceId, moduleId) : device
}
