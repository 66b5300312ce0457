/**
 * Manual provisioning: the device identity comes from the config (a connection string, or host name + device id +
 * key); the key is stored in the key store and read from there.
 */
import { readFile } from 'node:fs/promises'
import type { DaemonConfig, DeviceKeySource, ManualProvisioning } from '../config/load.js'
import { ConfigError } from '../errors.js'
import { isBase64Key } from '../config/schema.js'
import type { KeyStore } from '../keys/key-store.js'

export interface DeviceIdentity {
  iothubHostname: string
  deviceId: string
  /** base64 SAS key of the device. */
  key: string
}

/** The key the config gives inline or in a file; `tomlPath` names the setting in errors. */
export async function readDeviceKey(source: DeviceKeySource, configFile: string, tomlPath: string): Promise<string> {
  if ('value' in source) return source.value
  let key: string
  try {
    key = (await readFile(source.file, 'utf8')).trim()
  } catch (err) {
    throw new ConfigError(configFile, [`${tomlPath}.uri: ${source.file} cannot be read: ${(err as Error).message}`])
  }
  if (!isBase64Key(key)) throw new ConfigError(configFile, [`${tomlPath}.uri: ${source.file} does not hold a base64 key`])
  return key
}

export async function provisionManually(config: DaemonConfig, p: ManualProvisioning, keys: KeyStore): Promise<DeviceIdentity> {
  const key = await readDeviceKey(p.deviceKey, config.file, 'provisioning.authentication.device_id_pk')
  await keys.init()
  await keys.saveDeviceKey(key)
  const stored = await keys.readDeviceKey()
  return { iothubHostname: p.iothubHostname, deviceId: p.deviceId, key: stored ?? key }
}
