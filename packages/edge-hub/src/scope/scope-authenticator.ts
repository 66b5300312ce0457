/** The broker's {@link ClientAuthenticator} port, answered by the device scope cache. */
import type { ClientAuthenticator } from '../ports.js'
import type { DeviceScopeCache } from './device-scope-cache.js'

export function scopeAuthenticator(scope: Pick<DeviceScopeCache, 'authenticate'>): ClientAuthenticator {
  return {
    async authenticate(identity, sasToken) {
      const outcome = await scope.authenticate(identity, sasToken)
      // The MQTT head counts in epoch seconds, as SAS tokens do.
      return outcome.ok ? { ok: true, expiresAt: Math.floor(outcome.expiresAt / 1000) } : { ok: false, reason: outcome.reason }
    },
  }
}
