/** The hub's REST API as iothubowner, for tests that set up or check what the SDKs cannot. */
import { createServiceSasToken, parseServiceConnectionString } from '@ledge/protocol'
import type { TestHub } from './hub.js'

export async function rest(th: Pick<TestHub, 'url' | 'serviceConnectionString'>, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const token = createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 3600 })
  const sep = path.includes('?') ? '&' : '?'
  const init: RequestInit = { method, headers: { authorization: token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) } }
  if (body !== undefined) init.body = JSON.stringify(body)
  const res = await fetch(`${th.url}${path}${sep}api-version=2021-04-12`, init)
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed }
}
