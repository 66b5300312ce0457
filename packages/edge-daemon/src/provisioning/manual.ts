/**
 * Manual provisioning: the device identity comes from the config (a connection string, or host name + device id +
 * key); the key is stored in the key store and read from there.
 */
import { readFile } from 'node:fs/promises'
import type { DaemonConfig } from '../config/load.js'
import { ConfigError } from '../errors.js'
import { isBase64Key } from '../config/schema.js'
import type { KeyStore } from '../keys/key-store.js'

export interface DeviceIdentity {
  iothubHostname: string
  deviceId: string
  /** base64 SAS key of the device. */
  key: string
}

export async function provisionManually(config: DaemonConfig, keys: KeyStore): Promise<DeviceIdentity> {
  const p = config.provisioning
  let key: string
  if ('value' in p.deviceKey) {
    key = p.deviceKey.value
  } else {
    try {
      key = (await readFile(p.deviceKey.file, 'utf8')).trim()
    } catch (err) {
      throw new ConfigError(config.file, [`provisioning.authentication.device_id_pk.uri: ${p.deviceKey.file} cannot be read: ${(err as Error).message}`])
    }
    if (!isBase64Key(key)) throw new ConfigError(config.file, [`provisioning.authentication.device_id_pk.uri: ${p.deviceKey.file} does not hold a base64 key`])
  }
  await keys.init()
  await keys.saveDeviceKey(key)
  const stored = await keys.readDeviceKey()
  return { iothubHostname: p.iothubHostname, deviceId: p.deviceId, key: stored ?? key }
}
