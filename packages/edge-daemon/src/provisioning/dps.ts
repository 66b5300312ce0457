/**
 * `[provisioning] source = "dps"`: the device asks the provisioning service which hub it belongs to and under which
 * device id, as aziot-identityd does (reference: azure-iotedge.md §1).
 *
 * - The assignment is cached in `<home_dir>/dps_registration.json` (mode 0600) with a fingerprint of the id scope,
 *   registration id and key; a cache whose fingerprint differs is ignored.
 * - At start, `auto_reprovisioning_mode = "AlwaysOnStartup"` registers again; `Dynamic` and `OnErrorOnly` use the cache
 *   when there is one (identityd keeps the device it has), and register when there is none.
 * - When DPS cannot be reached (network, timeout, 5xx) and the cache is valid, the cache is used: aziot's "implicit
 *   fallback". A refusal (4xx: wrong key, disabled or unknown enrollment) is an error: the cache may be stale.
 * - {@link reprovision} registers again whatever the mode (the hub rejected the device in `Dynamic` mode).
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '@ledge/common'
import { isAppError } from '@ledge/common'
import type { DaemonConfig, DpsProvisioning } from '../config/load.js'
import { ConfigError } from '../errors.js'
import { readJson, writeFileAtomic } from '../files.js'
import type { KeyStore } from '../keys/key-store.js'
import { registerWithDps, type DpsAssignment } from './dps-client.js'
import { readDeviceKey, type DeviceIdentity } from './manual.js'

export const DPS_CACHE_FILE = 'dps_registration.json'
export const DPS_CACHE_MODE = 0o600

export interface DpsCache {
  schemaVersion: 1
  /** {@link dpsFingerprint}: which settings this assignment is for. */
  fingerprint: string
  registrationId: string
  idScope: string
  iothubHostname: string
  deviceId: string
  registeredAt: string
}

export interface DpsIdentity extends DeviceIdentity {
  /** Where the assignment came from this time. */
  from: 'dps' | 'cache'
}

export interface DpsProvisioner {
  /** At start: the mode decides between the cache and a registration. */
  provision(): Promise<DpsIdentity>
  /** Registers again now (falls back to the cache only when DPS cannot be reached). */
  reprovision(): Promise<DpsIdentity>
}

export interface DpsProvisionerOptions {
  config: DaemonConfig
  settings: DpsProvisioning
  keys: KeyStore
  log: Logger
  /** PEM of the hub's CA (`[ledge] hub_ca_cert`): the hub serves DPS. */
  caPem?: string
  /** For tests: the registration (default: the provisioning SDK). */
  register?: typeof registerWithDps
  now?: () => Date
}

export function dpsCachePath(homeDir: string): string {
  return join(homeDir, DPS_CACHE_FILE)
}

/**
 * What an assignment depends on: id scope, registration id and key. Not the endpoint: the same DPS answers under
 * several names (global and regional), and an endpoint that cannot be reached is exactly when the cache is needed.
 */
export function dpsFingerprint(s: Pick<DpsProvisioning, 'idScope' | 'registrationId'>, key: string): string {
  return createHash('sha256').update([s.idScope, s.registrationId, key].join('\n')).digest('hex')
}

/** The cached assignment, or undefined (none, unreadable, or of another schema). */
export async function readDpsCache(homeDir: string): Promise<DpsCache | undefined> {
  const c = await readJson<DpsCache>(dpsCachePath(homeDir)).catch(() => undefined)
  return c?.schemaVersion === 1 ? c : undefined
}

export function createDpsProvisioner(o: DpsProvisionerOptions): DpsProvisioner {
  const s = o.settings
  const register = o.register ?? registerWithDps
  const now = o.now ?? (() => new Date())
  const home = o.config.ledge.homeDir

  async function payload(): Promise<unknown> {
    if (!s.payloadFile) return undefined
    try {
      return JSON.parse(await readFile(s.payloadFile, 'utf8')) as unknown
    } catch (err) {
      throw new ConfigError(o.config.file, [`provisioning.payload.uri: ${s.payloadFile} is not a readable JSON file: ${(err as Error).message}`])
    }
  }

  async function run(alwaysRegister: boolean): Promise<DpsIdentity> {
    const key = await readDeviceKey(s.deviceKey, o.config.file, 'provisioning.attestation.symmetric_key')
    const fingerprint = dpsFingerprint(s, key)
    const cached = await readDpsCache(home)
    const valid = cached?.fingerprint === fingerprint ? cached : undefined
    if (cached && !valid) o.log.info({ event: 'dps.cache_stale' }, 'the cached DPS assignment is for other DPS settings or another key: registering')
    await o.keys.init()
    const identity = (a: { iothubHostname: string; deviceId: string }, from: DpsIdentity['from']): DpsIdentity => ({ iothubHostname: a.iothubHostname, deviceId: a.deviceId, key, from })
    if (valid && !alwaysRegister) {
      await o.keys.saveDeviceKey(key)
      return identity(valid, 'cache')
    }
    let assigned: DpsAssignment
    try {
      assigned = await register({
        endpoint: s.endpoint, idScope: s.idScope, registrationId: s.registrationId, key,
        ...(o.caPem ? { caPem: o.caPem } : {}), ...(s.payloadFile ? { payload: await payload() } : {}),
      })
    } catch (err) {
      if (valid && isAppError(err) && err.code === 'ERR_EDGE_DPS_UNREACHABLE') {
        o.log.warn({ err, event: 'dps.cached', hub: valid.iothubHostname, deviceId: valid.deviceId }, 'DPS cannot be reached: using the cached assignment')
        await o.keys.saveDeviceKey(key)
        return identity(valid, 'cache')
      }
      throw err
    }
    const record: DpsCache = {
      schemaVersion: 1, fingerprint, registrationId: s.registrationId, idScope: s.idScope,
      iothubHostname: assigned.iothubHostname, deviceId: assigned.deviceId, registeredAt: now().toISOString(),
    }
    await writeFileAtomic(dpsCachePath(home), `${JSON.stringify(record, null, 2)}\n`, DPS_CACHE_MODE)
    await o.keys.saveDeviceKey(key)
    o.log.info({ event: 'dps.assigned', hub: assigned.iothubHostname, deviceId: assigned.deviceId, substatus: assigned.substatus }, 'DPS assigned the device')
    return identity(assigned, 'dps')
  }

  return {
    provision: () => run(s.reprovisioning === 'AlwaysOnStartup'),
    reprovision: () => run(true),
  }
}
