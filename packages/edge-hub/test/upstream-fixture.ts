/**
 * For the scope and upstream tests: a real hub from the testkit with an edge device, its modules and leaf devices
 * made through the unmodified azure-iothub Registry, and small REST helpers to see what arrived at the hub.
 */
import { createRequire } from 'node:module'
import type { TestHub } from '@ledge/testkit'
import { createIdentitySasToken, createServiceSasToken, parseServiceConnectionString } from '@ledge/protocol'

const require = createRequire(import.meta.url)
export const iothub = require('azure-iothub') as typeof import('azure-iothub')

export interface EdgeSetup {
  edgeDeviceId: string
  scope: string
  keys: Record<string, string>
  /** The `$edgeHub` module's token, as the workload API would sign it. */
  edgeHubToken: () => Promise<string>
  /** A device or module token signed with its primary key. */
  tokenOf(deviceId: string, moduleId?: string, lifetimeSeconds?: number, key?: string): string
}

export function registryOf(th: TestHub): import('azure-iothub').Registry {
  return iothub.Registry.fromConnectionString(th.serviceConnectionString)
}

/** Edge device `edge1` (with `$edgeAgent`, `$edgeHub` and `detector`), leaf devices `leaf1`, `leaf2` in its scope. */
export async function setupEdge(th: TestHub, opts: { leaves?: string[]; modules?: string[] } = {}): Promise<EdgeSetup> {
  const registry = registryOf(th)
  const edge = (await registry.create({ deviceId: 'edge1', capabilities: { iotEdge: true } })).responseBody as import('azure-iothub').Device & { deviceScope: string }
  const keys: Record<string, string> = { edge1: edge.authentication!.symmetricKey!.primaryKey! }
  const hubModule = (await registry.getModule('edge1', '$edgeHub')).responseBody
  keys['edge1/$edgeHub'] = hubModule.authentication!.symmetricKey!.primaryKey!
  for (const m of opts.modules ?? ['detector']) {
    const mod = (await registry.addModule({ deviceId: 'edge1', moduleId: m })).responseBody
    keys[`edge1/${m}`] = mod.authentication!.symmetricKey!.primaryKey!
  }
  for (const leaf of opts.leaves ?? ['leaf1', 'leaf2']) {
    const d = (await registry.create({ deviceId: leaf, deviceScope: edge.deviceScope } as never)).responseBody
    keys[leaf] = d.authentication!.symmetricKey!.primaryKey!
  }
  const tokenOf = (deviceId: string, moduleId?: string, lifetimeSeconds = 3600, key?: string): string =>
    createIdentitySasToken({
      hostName: th.host, deviceId, ...(moduleId ? { moduleId } : {}),
      keyBase64: key ?? keys[moduleId ? `${deviceId}/${moduleId}` : deviceId]!, expiresAt: Date.now() / 1000 + lifetimeSeconds,
    })
  return { edgeDeviceId: 'edge1', scope: edge.deviceScope, keys, tokenOf, edgeHubToken: async () => tokenOf('edge1', '$edgeHub') }
}

export function serviceToken(th: Pick<TestHub, 'serviceConnectionString'>, policy?: { name: string; key: string }): string {
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  return createServiceSasToken({ hostName: cs.hostName, policyName: policy?.name ?? cs.sharedAccessKeyName, keyBase64: policy?.key ?? cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 3600 })
}

/** A REST call to the hub; `authorization` defaults to an iothubowner service token. */
export async function rest(th: Pick<TestHub, 'url' | 'serviceConnectionString'>, method: string, path: string, body?: unknown, authorization: string | null = serviceToken(th), headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method, headers: { ...(authorization ? { authorization } : {}), ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json; charset=utf-8'
  }
  const res = await fetch(`${th.url}${path}`, init)
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed }
}

export interface HubEvent {
  offset: number
  deviceId: string
  moduleId: string | null
  systemProperties: Record<string, string>
  properties: Record<string, string>
  body: unknown
}

/** The telemetry the hub stored for a device (or module), oldest first. */
export async function hubEvents(th: TestHub, deviceId: string, moduleId?: string): Promise<HubEvent[]> {
  const r = await rest(th, 'GET', `/events/messages?api-version=2021-04-12&from=earliest&limit=1000&deviceId=${encodeURIComponent(deviceId)}${moduleId ? `&moduleId=${encodeURIComponent(moduleId)}` : ''}`)
  if (r.status !== 200) throw new Error(`events: ${r.status} ${JSON.stringify(r.body)}`)
  return (r.body as { events: HubEvent[] }).events
}

export { eventually } from '@ledge/testkit'

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
