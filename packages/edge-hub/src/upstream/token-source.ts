/**
 * SAS tokens for the upstream connections: the edge hub's own identity (`{edge}/$edgeHub`) through its TokenSource
 * (the workload API signs it in production), every other client with its own key from the device scope, as the
 * device SDK makes them (sr URL-encoded, no skn).
 */
import { systemClock, type Clock } from '@ledge/common'
import { createIdentitySasToken } from '@ledge/protocol'
import { describeIdentity, type ClientIdentity } from '../identity.js'
import { EDGE_HUB_MODULE_ID, type TokenSource } from '../scope/service-identity.js'
import { errors } from './types.js'

/** The SDK's token lifetime. */
export const DEFAULT_TOKEN_LIFETIME_S = 3600

export interface ScopeTokenSourceOptions {
  hubHostname: string
  edgeDeviceId: string
  /** The edge hub's own token. */
  edgeHubToken: TokenSource
  /** The device scope's keys (a DeviceScopeCache). */
  scope: { keysFor(identity: ClientIdentity): { primaryKey: string } | undefined; refreshIdentity?(identity: ClientIdentity): Promise<void> }
  lifetimeSeconds?: number
  clock?: Clock
}

export function scopeTokenSource(o: ScopeTokenSourceOptions): (identity: ClientIdentity) => Promise<string> {
  const clock = o.clock ?? systemClock
  return async (identity) => {
    if (identity.deviceId === o.edgeDeviceId && identity.moduleId === EDGE_HUB_MODULE_ID) return o.edgeHubToken()
    let keys = o.scope.keysFor(identity)
    if (!keys && o.scope.refreshIdentity) {
      await o.scope.refreshIdentity(identity)
      keys = o.scope.keysFor(identity)
    }
    if (!keys) throw errors.noKeys(describeIdentity(identity))
    return createIdentitySasToken({
      hostName: o.hubHostname, deviceId: identity.deviceId, ...(identity.moduleId ? { moduleId: identity.moduleId } : {}),
      keyBase64: keys.primaryKey, expiresAt: clock.now() / 1000 + (o.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_S),
    })
  }
}
