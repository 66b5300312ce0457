/**
 * `<home_dir>/provisioning_state.json`: the hub and device the daemon was provisioned for last time. When either
 * changes, every module is removed (Azure's aziot-edged does the same: modules and their identities belong to the
 * old device).
 */
import { join } from 'node:path'
import { readJson, writeFileAtomic } from '../files.js'
import type { DeviceIdentity } from './manual.js'

export const PROVISIONING_STATE_FILE = 'provisioning_state.json'

export interface ProvisioningState {
  schemaVersion: 1
  iothubHostname: string
  deviceId: string
  provisionedAt: string
}

export interface ProvisioningChange {
  /** True when a previous state exists and names another hub or device. */
  changed: boolean
  previous?: ProvisioningState
}

/** Compares with the cached state and writes the new one. */
export async function updateProvisioningState(homeDir: string, device: DeviceIdentity, now = new Date()): Promise<ProvisioningChange> {
  const file = join(homeDir, PROVISIONING_STATE_FILE)
  const previous = await readJson<ProvisioningState>(file)
  const same = previous !== undefined
    && previous.iothubHostname.toLowerCase() === device.iothubHostname.toLowerCase()
    && previous.deviceId === device.deviceId
  if (!same) {
    const state: ProvisioningState = { schemaVersion: 1, iothubHostname: device.iothubHostname, deviceId: device.deviceId, provisionedAt: now.toISOString() }
    await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`, 0o644)
  }
  return { changed: previous !== undefined && !same, ...(previous ? { previous } : {}) }
}
