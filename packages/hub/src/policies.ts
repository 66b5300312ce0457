/** The shared access policies IoT Hub creates with every hub; made on first start, kept afterwards. */
import type { PolicyRepository, SharedAccessPolicy } from '@ledge/storage'
import { generateKey } from './registry/keys.js'

const DEFAULT_POLICIES: readonly Pick<SharedAccessPolicy, 'keyName' | 'rights'>[] = [
  { keyName: 'iothubowner', rights: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'] },
  { keyName: 'service', rights: ['ServiceConnect'] },
  { keyName: 'device', rights: ['DeviceConnect'] },
  { keyName: 'registryRead', rights: ['RegistryRead'] },
  { keyName: 'registryReadWrite', rights: ['RegistryRead', 'RegistryWrite'] },
]

export async function ensureDefaultPolicies(policies: PolicyRepository): Promise<SharedAccessPolicy[]> {
  if ((await policies.list()).length === 0) {
    for (const p of DEFAULT_POLICIES) await policies.put({ ...p, primaryKey: generateKey(), secondaryKey: generateKey() })
  }
  return policies.list()
}
