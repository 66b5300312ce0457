/**
 * SAS authentication for devices and modules (MQTT CONNECT) and for service clients (REST), as IoT Hub does it:
 * the signature is checked against the identity's primary and secondary keys, or, when the token names a key (`skn`),
 * against that shared access policy, which must then hold the right the caller needs.
 */
import { identityResourceUri, normaliseResourceUri, parseSasToken, SasTokenFormatError, verifySasSignature, type SasToken } from '@ledge/protocol'
import type { Clock } from '@ledge/common'
import type { IdentityRecord, PolicyRepository, PolicyRight, SharedAccessPolicy } from '@ledge/storage'
import { errors } from '../errors.js'

const EDGE_HUB_MODULE_ID = '$edgeHub'

export type AuthResult<T> = { ok: true; value: T } | { ok: false; reason: string }

function stripPort(host: string): string {
  return host.replace(/:\d+$/, '').toLowerCase()
}

export class Authenticator {
  private readonly hostNames: Set<string>

  constructor(private readonly d: { hostNames: readonly string[]; policies: PolicyRepository; clock: Clock }) {
    this.hostNames = new Set(d.hostNames.map((h) => stripPort(h)))
  }

  private parse(password: string): AuthResult<SasToken> {
    try {
      return { ok: true, value: parseSasToken(password) }
    } catch (err) {
      if (err instanceof SasTokenFormatError) return { ok: false, reason: err.message }
      throw err
    }
  }

  private checkExpiry(token: SasToken): string | undefined {
    const now = Math.floor(this.d.clock.now() / 1000)
    if (token.se <= now) return `SAS token expired at ${new Date(token.se * 1000).toISOString()}`
    return undefined
  }

  private checkHost(resource: string): string | undefined {
    const host = stripPort(resource.split('/')[0] ?? '')
    if (!this.hostNames.has(host)) return `SAS token is for host '${host}', but this hub is ${[...this.hostNames].map((h) => `'${h}'`).join(', ')}`
    return undefined
  }

  /** Verifies a device or module's CONNECT password against its record (and the policies, for `skn` tokens). */
  async authenticateIdentity(password: string | undefined, identity: IdentityRecord): Promise<AuthResult<SasToken>> {
    if (!password) return { ok: false, reason: 'no SAS token given as the MQTT password (X.509 is not supported yet)' }
    const parsed = this.parse(password)
    if (!parsed.ok) return parsed
    const token = parsed.value
    const expired = this.checkExpiry(token)
    if (expired) return { ok: false, reason: expired }
    const resource = normaliseResourceUri(token.sr)
    const hostErr = this.checkHost(resource)
    if (hostErr) return { ok: false, reason: hostErr }
    // The resource path after the host: '' (the hub), '/devices/d' or '/devices/d/modules/m'.
    const path = resource.slice(resource.split('/')[0]!.length)
    const own = identityResourceUri('', identity.deviceId, identity.moduleId ?? undefined)
    if (token.skn) {
      // A policy token may be for the identity or any resource above it (the device, the hub).
      if (path !== '' && path !== own && !own.startsWith(`${path}/`)) return { ok: false, reason: `SAS token is for '${resource}', not for this identity` }
      const policy = await this.d.policies.get(token.skn)
      if (!policy) return { ok: false, reason: `shared access policy '${token.skn}' does not exist` }
      if (!policy.rights.includes('DeviceConnect')) return { ok: false, reason: `shared access policy '${token.skn}' lacks the DeviceConnect right` }
      if (!verifyWith(token, [policy.primaryKey, policy.secondaryKey])) return { ok: false, reason: `SAS token signature does not match policy '${token.skn}'` }
      return { ok: true, value: token }
    }
    // A token signed with the identity's own key must be for exactly that identity.
    if (path !== own) return { ok: false, reason: `SAS token is for '${resource}'; a token signed with the ${identity.moduleId ? 'module' : 'device'} key must be for '${own.slice(1)}'` }
    const { primaryKey, secondaryKey } = identity.authentication.symmetricKey
    if (!verifyWith(token, [primaryKey, secondaryKey])) return { ok: false, reason: 'SAS token signature does not match the identity keys' }
    return { ok: true, value: token }
  }

  /**
   * For the routes an edge device may call about itself (its module identities): a device token (no `skn`) of an
   * enabled edge device whose id is `deviceId`, or else a service token with `right`. Throws 401/403 errors.
   */
  async authenticateEdgeDeviceOrService(header: string | undefined, deviceId: string, right: PolicyRight, device: () => Promise<IdentityRecord | undefined>): Promise<void> {
    const parsed = header ? this.parse(header) : undefined
    if (!parsed?.ok || parsed.value.skn) {
      await this.authenticateService(header, right)
      return
    }
    const record = await device()
    if (!record) throw errors.unauthorized(`device '${deviceId}' does not exist`)
    const result = await this.authenticateIdentity(header, record)
    if (!result.ok) throw errors.unauthorized(result.reason)
    if (record.status !== 'enabled') throw errors.unauthorized(`device '${deviceId}' is disabled`)
    if (!record.capabilities.iotEdge) throw errors.forbidden(`device '${deviceId}' is not an IoT Edge device: only edge devices manage their own module identities`)
  }

  /**
   * For the edge hub's device-scope routes: a token of the module `{deviceId}/$edgeHub` signed with that module's key
   * (what the edge hub holds, through the workload API), of an enabled device; or else a service token with `right`.
   * Throws 401/403 errors; says which kind of caller it was.
   */
  async authenticateEdgeHubOrService(header: string | undefined, deviceId: string, right: PolicyRight, lookup: (moduleId: string | null) => Promise<IdentityRecord | undefined>): Promise<'edgeHub' | 'service'> {
    const parsed = header ? this.parse(header) : undefined
    if (!parsed?.ok || parsed.value.skn) {
      await this.authenticateService(header, right)
      return 'service'
    }
    const edgeHub = await lookup(EDGE_HUB_MODULE_ID)
    if (!edgeHub) throw errors.unauthorized(`module '${deviceId}/${EDGE_HUB_MODULE_ID}' does not exist: only the edge hub of an IoT Edge device (or a service token) may read a device scope`)
    const result = await this.authenticateIdentity(header, edgeHub)
    if (!result.ok) throw errors.unauthorized(result.reason)
    const device = await lookup(null)
    if (!device) throw errors.unauthorized(`device '${deviceId}' does not exist`)
    if (device.status !== 'enabled') throw errors.unauthorized(`device '${deviceId}' is disabled`)
    return 'edgeHub'
  }

  /** Verifies a service token (`Authorization` header) and that its policy holds `right`; throws 401/403 errors. */
  async authenticateService(header: string | undefined, right: PolicyRight): Promise<{ policy: SharedAccessPolicy; token: SasToken }> {
    if (!header) throw errors.unauthorized('the Authorization header with a SharedAccessSignature is missing')
    const parsed = this.parse(header)
    if (!parsed.ok) throw errors.unauthorized(parsed.reason)
    const token = parsed.value
    const expired = this.checkExpiry(token)
    if (expired) throw errors.unauthorized(expired)
    const resource = normaliseResourceUri(token.sr)
    const hostErr = this.checkHost(resource)
    if (hostErr) throw errors.unauthorized(hostErr)
    if (!token.skn) throw errors.unauthorized('a service SAS token must name its shared access policy (skn)')
    const policy = await this.d.policies.get(token.skn)
    if (!policy || !verifyWith(token, [policy.primaryKey, policy.secondaryKey])) {
      throw errors.unauthorized(`SAS token signature does not match shared access policy '${token.skn}'`)
    }
    if (!policy.rights.includes(right) && !(right === 'RegistryRead' && policy.rights.includes('RegistryWrite'))) {
      throw errors.forbidden(`shared access policy '${policy.keyName}' lacks the ${right} right`)
    }
    return { policy, token }
  }
}

function verifyWith(token: SasToken, keys: readonly string[]): boolean {
  return keys.some((k) => k && verifySasSignature(token, k))
}
