/** A shared access policy of the hub (IoT Hub: iothubowner, service, device, registryRead, registryReadWrite). */
export interface SharedAccessPolicy {
  keyName: string
  primaryKey: string
  secondaryKey: string
  /** IoT Hub's rights: RegistryRead, RegistryWrite, ServiceConnect, DeviceConnect. */
  rights: readonly PolicyRight[]
}

export type PolicyRight = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect' | 'DeviceConnect'

export interface PolicyRepository {
  list(): Promise<SharedAccessPolicy[]>
  get(keyName: string): Promise<SharedAccessPolicy | undefined>
  /** Inserts or replaces. */
  put(policy: SharedAccessPolicy): Promise<void>
  delete(keyName: string): Promise<boolean>
}
