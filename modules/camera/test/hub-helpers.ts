/** The real hub's REST API and registry, as the camera tests use them. */
import { createRequire } from 'node:module'
import { createServiceSasToken, parseServiceConnectionString } from '@ledge/protocol'
import type { TestHub } from '@ledge/testkit'

const require = createRequire(import.meta.url)
const iothub = require('azure-iothub') as typeof import('azure-iothub')

export function registryOf(th: TestHub): import('azure-iothub').Registry {
  return iothub.Registry.fromConnectionString(th.serviceConnectionString)
}

export interface HubEvent {
  deviceId: string
  moduleId?: string
  systemProperties: Record<string, string>
  properties: Record<string, string>
  body: unknown
  bodyEncoding: string
}

/** The hub's retained events of a device (and module), oldest first. */
export async function events(th: TestHub, deviceId: string, moduleId?: string): Promise<HubEvent[]> {
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const token = createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 3600 })
  const q = new URLSearchParams({ deviceId, limit: '1000', 'api-version': '2021-04-12', ...(moduleId ? { moduleId } : {}) })
  const res = await fetch(`${th.url}/events/messages?${q}`, { headers: { authorization: token } })
  if (!res.ok) throw new Error(`GET /events/messages: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { events: HubEvent[] }).events
}

export async function eventually<T>(poll: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await poll()
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
