/**
 * The edge hub's own SAS tokens, signed by the daemon's workload API: one token is reused until a quarter of its
 * hour is left, so the scope API and the upstream link do not ask the daemon for a signature every call.
 */
import type { WorkloadClient } from './workload-client.js'

const TOKEN_TTL_S = 3600
const RENEW_BEFORE_S = 900

export function identityTokens(workload: WorkloadClient, hubHostname: string, deviceId: string): () => Promise<string> {
  let current: { token: string; expiresAt: number } | undefined
  let pending: Promise<{ token: string; expiresAt: number }> | undefined
  return async () => {
    if (current && current.expiresAt - Date.now() / 1000 > RENEW_BEFORE_S) return current.token
    pending ??= workload.sasToken(hubHostname, deviceId, TOKEN_TTL_S).finally(() => (pending = undefined))
    current = await pending
    return current.token
  }
}
