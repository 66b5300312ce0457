/** A client of the edge hub: a module of the edge device or a leaf device (and its modules) in the device scope. */
export interface ClientIdentity {
  deviceId: string
  moduleId?: string
}

/** `device` or `device/module`: the MQTT client id, and the key of every per-client map. */
export function identityKey(deviceId: string, moduleId?: string | null): string {
  return moduleId ? `${deviceId}/${moduleId}` : deviceId
}

export function identityOf(deviceId: string, moduleId?: string | null): ClientIdentity {
  return moduleId ? { deviceId, moduleId } : { deviceId }
}

export function describeIdentity(id: ClientIdentity): string {
  return id.moduleId ? `module '${id.deviceId}/${id.moduleId}'` : `device '${id.deviceId}'`
}
