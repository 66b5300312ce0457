/**
 * Devices and module identities: creation with generated keys, edge system modules, scopes, etags, deletion.
 * All writes are read-modify-write against the store's revision (compare-and-swap), retried on a race.
 */
import {
  EDGE_SYSTEM_MODULES, edgeDeviceScope, validateDeviceId, validateModuleId, withoutNulls,
  type AuthenticationMechanism, type Device, type Module,
} from '@ledge/protocol'
import { isAppError, type Clock, type Logger } from '@ledge/common'
import type { IdentityKey, IdentityRecord, IdentityRepository, TwinState } from '@ledge/storage'
import { errors } from '../errors.js'
import type { Presence } from '../presence/presence.js'
import { generateGenerationId, generateKey, identityEtag, isValidKey, nextIdentityEtag, twinEtag } from './keys.js'
import type { DeviceInput, ModuleInput } from './identity-input.js'
import { toDevice, toModule } from './to-wire.js'
import { findInDeviceScope, readDeviceScopePage } from './device-scope.js'

const SCOPE_PATTERN = /^ms-azure-iot-edge:\/\/(.+)-(\d+)$/

export interface RegistryEvents {
  /** An identity was deleted or disabled: its connections must close. */
  identityRevoked(deviceId: string, moduleId: string | null): void
  /** An identity is gone for good: what the hub keeps for it elsewhere (C2D queue, MQTT sessions) goes too. */
  identityDeleted(deviceId: string, moduleId: string | null): Promise<void>
  /**
   * A device was created or updated (capabilities among others), or given a new module: automatic deployments
   * re-evaluate it (a new module twin gets its `configurations` section).
   */
  deviceChanged?(deviceId: string): void
}

export class RegistryService {
  constructor(
    private readonly d: {
      identities: IdentityRepository
      presence: Presence
      clock: Clock
      log: Logger
      c2dCount: (deviceId: string) => Promise<number>
      events: RegistryEvents
    },
  ) {}

  private nowIso(): string {
    return new Date(this.d.clock.now()).toISOString()
  }

  private newTwin(now: string): TwinState {
    return { etag: twinEtag(1), version: 1, tags: {}, desired: {}, desiredVersion: 1, desiredUpdatedTime: now, reported: {}, reportedVersion: 1, reportedUpdatedTime: now, modelId: '' }
  }

  private authentication(input: DeviceInput['authentication'], previous?: AuthenticationMechanism): AuthenticationMechanism {
    const type = input?.type ?? previous?.type ?? 'sas'
    const given = input?.symmetricKey
    const primary = given?.primaryKey || (type === 'sas' ? previous?.symmetricKey.primaryKey || generateKey() : '')
    const secondary = given?.secondaryKey || (type === 'sas' ? previous?.symmetricKey.secondaryKey || generateKey() : '')
    for (const [name, key] of [['primaryKey', primary], ['secondaryKey', secondary]] as const) {
      if (key && !isValidKey(key)) throw errors.argumentInvalid(`authentication.symmetricKey.${name} must be base64 of 16 to 64 bytes`)
    }
    const tp = input?.x509Thumbprint ?? previous?.x509Thumbprint
    const auth: AuthenticationMechanism = {
      type,
      symmetricKey: { primaryKey: primary, secondaryKey: secondary },
      x509Thumbprint: { primaryThumbprint: tp?.primaryThumbprint ?? null, secondaryThumbprint: tp?.secondaryThumbprint ?? null },
    }
    if (type === 'selfSigned' && !auth.x509Thumbprint.primaryThumbprint) throw errors.argumentInvalid('selfSigned authentication needs x509Thumbprint.primaryThumbprint')
    return auth
  }

  /** Checks that a leaf or nested device's scopes name an existing edge device with that generation. */
  private async validateScopes(deviceId: string, input: DeviceInput, iotEdge: boolean): Promise<{ deviceScope?: string; parentScopes?: string[] }> {
    const out: { deviceScope?: string; parentScopes?: string[] } = {}
    const parents = input.parentScopes ?? []
    const scopes = iotEdge ? parents : [...new Set([...(input.deviceScope ? [input.deviceScope] : []), ...parents])]
    for (const scope of scopes) {
      const m = SCOPE_PATTERN.exec(scope)
      if (!m) throw errors.argumentInvalid(`scope '${scope}' is not of the form ms-azure-iot-edge://{edgeDeviceId}-{generationId}`)
      const parent = await this.d.identities.get(m[1]!)
      if (!parent || parent.generationId !== m[2] || !parent.capabilities.iotEdge) {
        throw errors.argumentInvalid(`scope '${scope}' does not belong to an existing edge device`)
      }
      if (parent.deviceId === deviceId) throw errors.argumentInvalid(`device '${deviceId}' cannot be its own parent`)
    }
    if (scopes.length > 1 && !iotEdge) throw errors.argumentInvalid('a leaf device can have only one parent edge device')
    if (!iotEdge && scopes[0]) {
      out.deviceScope = scopes[0]
      out.parentScopes = [scopes[0]]
    }
    if (iotEdge && parents.length) out.parentScopes = parents
    return out
  }

  async createDevice(deviceId: string, input: DeviceInput): Promise<Device> {
    const idErr = validateDeviceId(deviceId)
    if (idErr) throw errors.argumentInvalid(idErr)
    if (input.deviceId !== undefined && input.deviceId !== deviceId) {
      throw errors.argumentInvalid(`the body's deviceId '${input.deviceId}' differs from '${deviceId}' in the path`)
    }
    const now = this.nowIso()
    const iotEdge = input.capabilities?.iotEdge ?? false
    const generationId = generateGenerationId()
    const scopes = await this.validateScopes(deviceId, input, iotEdge)
    const device: IdentityRecord = {
      deviceId, moduleId: null, generationId, etag: identityEtag(1),
      status: input.status ?? 'enabled', statusReason: input.statusReason ?? null, statusUpdatedTime: now,
      authentication: this.authentication(input.authentication),
      capabilities: { iotEdge },
      ...scopes,
      createdTime: now, lastActivityTime: '0001-01-01T00:00:00Z', twin: this.newTwin(now), revision: 0,
    }
    if (iotEdge) device.deviceScope = edgeDeviceScope(deviceId, generationId)
    const records = [device, ...(iotEdge ? EDGE_SYSTEM_MODULES.map((m) => this.newModuleRecord(deviceId, m, 'IotEdge', now)) : [])]
    try {
      const [created] = await this.d.identities.create(records)
      this.d.log.info({ event: 'device.created', deviceId, iotEdge }, 'device created')
      this.d.events.deviceChanged?.(deviceId)
      return toDevice(created!, this.d.presence)
    } catch (err) {
      if (isAppError(err) && err.code === 'ERR_STORE_CONFLICT') throw errors.deviceAlreadyExists(deviceId)
      throw err
    }
  }

  private newModuleRecord(deviceId: string, moduleId: string, managedBy: string | null, now: string, auth?: AuthenticationMechanism): IdentityRecord {
    return {
      deviceId, moduleId, generationId: generateGenerationId(), etag: identityEtag(1),
      status: 'enabled', statusReason: null, statusUpdatedTime: now,
      authentication: auth ?? this.authentication(undefined), capabilities: { iotEdge: false }, managedBy,
      createdTime: now, lastActivityTime: '0001-01-01T00:00:00Z', twin: this.newTwin(now), revision: 0,
    }
  }

  /** PUT with If-Match: replaces status, keys, capabilities and scopes. `ifMatch` '*' or undefined skips the etag check. */
  async updateDevice(deviceId: string, input: DeviceInput, ifMatch: string | undefined): Promise<Device> {
    if (input.deviceId !== undefined && input.deviceId !== deviceId) {
      throw errors.argumentInvalid(`the body's deviceId '${input.deviceId}' differs from '${deviceId}' in the path`)
    }
    let previousAuth: AuthenticationMechanism | undefined
    const updated = await this.mutate(deviceId, null, async (r) => {
      checkEtag(ifMatch, r.etag, `device '${deviceId}'`)
      previousAuth = r.authentication
      const iotEdge = input.capabilities?.iotEdge ?? r.capabilities.iotEdge
      const scopes = await this.validateScopes(deviceId, { ...input, deviceScope: input.deviceScope ?? (iotEdge ? undefined : r.deviceScope), parentScopes: input.parentScopes ?? r.parentScopes }, iotEdge)
      const status = input.status ?? r.status
      const next: IdentityRecord = {
        ...r,
        status,
        statusReason: input.statusReason ?? (status === r.status ? r.statusReason : null),
        statusUpdatedTime: status === r.status ? r.statusUpdatedTime : this.nowIso(),
        authentication: this.authentication(input.authentication, r.authentication),
        capabilities: { iotEdge },
        etag: nextIdentityEtag(r.etag),
      }
      delete next.deviceScope
      delete next.parentScopes
      Object.assign(next, scopes)
      if (iotEdge) next.deviceScope = edgeDeviceScope(deviceId, r.generationId)
      return next
    })
    if (updated.capabilities.iotEdge) await this.ensureEdgeModules(deviceId)
    this.d.events.deviceChanged?.(deviceId)
    // Disabled, or new keys: tokens made with the old ones must stop working now, not at their expiry.
    if (updated.status === 'disabled' || keysChanged(previousAuth, updated.authentication)) this.d.events.identityRevoked(deviceId, null)
    return toDevice(updated, this.d.presence, await this.d.c2dCount(deviceId))
  }

  private async ensureEdgeModules(deviceId: string): Promise<void> {
    const now = this.nowIso()
    for (const m of EDGE_SYSTEM_MODULES) {
      if (await this.d.identities.get(deviceId, m)) continue
      try {
        await this.d.identities.create([this.newModuleRecord(deviceId, m, 'IotEdge', now)])
      } catch (err) {
        if (!(isAppError(err) && err.code === 'ERR_STORE_CONFLICT')) throw err
      }
    }
  }

  async getDevice(deviceId: string): Promise<Device> {
    const r = await this.d.identities.get(deviceId)
    if (!r) throw errors.deviceNotFound(deviceId)
    return toDevice(r, this.d.presence, await this.d.c2dCount(deviceId))
  }

  async getRecord(deviceId: string, moduleId?: string | null): Promise<IdentityRecord | undefined> {
    return this.d.identities.get(deviceId, moduleId ?? null)
  }

  async listDevices(opts: { top?: number; after?: string } = {}): Promise<Device[]> {
    const limit = Math.min(opts.top ?? 1000, 1000)
    const rows = await this.d.identities.listDevices({ limit, ...(opts.after ? { after: opts.after } : {}) })
    return rows.map((r) => toDevice(r, this.d.presence))
  }

  async deleteDevice(deviceId: string, ifMatch: string | undefined): Promise<void> {
    const r = await this.d.identities.get(deviceId)
    if (!r) throw errors.deviceNotFound(deviceId)
    checkEtag(ifMatch, r.etag, `device '${deviceId}'`)
    const modules = await this.d.identities.listModules(deviceId)
    await this.d.identities.delete(deviceId)
    this.d.events.identityRevoked(deviceId, null)
    for (const m of modules) this.d.events.identityRevoked(deviceId, m.moduleId)
    await this.d.events.identityDeleted(deviceId, null)
    this.d.log.info({ event: 'device.deleted', deviceId }, 'device deleted')
  }

  async createOrUpdateModule(deviceId: string, moduleId: string, input: ModuleInput, ifMatch: string | undefined): Promise<{ module: Module; created: boolean }> {
    const idErr = validateModuleId(moduleId)
    if (idErr) throw errors.argumentInvalid(idErr)
    if (input.moduleId !== undefined && input.moduleId !== moduleId) throw errors.argumentInvalid(`the body's moduleId '${input.moduleId}' differs from '${moduleId}' in the path`)
    if (input.deviceId !== undefined && input.deviceId !== deviceId) throw errors.argumentInvalid(`the body's deviceId '${input.deviceId}' differs from '${deviceId}' in the path`)
    const device = await this.d.identities.get(deviceId)
    if (!device) throw errors.deviceNotFound(deviceId)
    const existing = await this.d.identities.get(deviceId, moduleId)
    if (existing && ifMatch === undefined) throw errors.moduleAlreadyExists(deviceId, moduleId)
    if (!existing) {
      if (ifMatch !== undefined && unquoteEtag(ifMatch) !== '*') throw errors.moduleNotFound(deviceId, moduleId)
      if (moduleId.startsWith('$') && !(device.capabilities.iotEdge && (EDGE_SYSTEM_MODULES as readonly string[]).includes(moduleId))) {
        throw errors.argumentInvalid(`module ids starting with '$' are reserved for the edge runtime ($edgeAgent, $edgeHub)`)
      }
      const rec = this.newModuleRecord(deviceId, moduleId, input.managedBy ?? null, this.nowIso(), this.authentication(input.authentication))
      // A module the device's deployment already configures starts with its desired properties.
      const desired = device.modulesContent?.[moduleId]
      if (desired) rec.twin = { ...rec.twin, desired: withoutNulls(Object.fromEntries(Object.entries(desired).filter(([k]) => !k.startsWith('$')))) }
      try {
        const [created] = await this.d.identities.create([rec])
        if (device.capabilities.iotEdge) this.d.events.deviceChanged?.(deviceId)
        return { module: toModule(created!, this.d.presence), created: true }
      } catch (err) {
        if (isAppError(err) && err.code === 'ERR_STORE_CONFLICT') throw errors.moduleAlreadyExists(deviceId, moduleId)
        throw err
      }
    }
    let previousAuth: AuthenticationMechanism | undefined
    const updated = await this.mutate(deviceId, moduleId, async (r) => {
      checkEtag(ifMatch, r.etag, `module '${deviceId}/${moduleId}'`)
      previousAuth = r.authentication
      return {
        ...r,
        managedBy: input.managedBy !== undefined ? input.managedBy : r.managedBy ?? null,
        authentication: this.authentication(input.authentication, r.authentication),
        etag: nextIdentityEtag(r.etag),
      }
    })
    if (keysChanged(previousAuth, updated.authentication)) this.d.events.identityRevoked(deviceId, moduleId)
    return { module: toModule(updated, this.d.presence), created: false }
  }

  async getModule(deviceId: string, moduleId: string): Promise<Module> {
    const r = await this.d.identities.get(deviceId, moduleId)
    if (!r) {
      if (!(await this.d.identities.get(deviceId))) throw errors.deviceNotFound(deviceId)
      throw errors.moduleNotFound(deviceId, moduleId)
    }
    return toModule(r, this.d.presence)
  }

  async listModules(deviceId: string): Promise<Module[]> {
    if (!(await this.d.identities.get(deviceId))) throw errors.deviceNotFound(deviceId)
    return (await this.d.identities.listModules(deviceId)).map((r) => toModule(r, this.d.presence))
  }

  async deleteModule(deviceId: string, moduleId: string, ifMatch: string | undefined): Promise<void> {
    const r = await this.d.identities.get(deviceId, moduleId)
    if (!r) throw errors.moduleNotFound(deviceId, moduleId)
    checkEtag(ifMatch, r.etag, `module '${deviceId}/${moduleId}'`)
    await this.d.identities.delete(deviceId, moduleId)
    this.d.events.identityRevoked(deviceId, moduleId)
    await this.d.events.identityDeleted(deviceId, moduleId)
  }

  /** The edge device `deviceId`, or DeviceNotFound / NotFound (not an edge device: it has no device scope). */
  async getEdgeRecord(deviceId: string): Promise<IdentityRecord> {
    const edge = await this.d.identities.get(deviceId)
    if (!edge) throw errors.deviceNotFound(deviceId)
    if (!edge.capabilities.iotEdge || !edge.deviceScope) throw errors.notFound(`device '${deviceId}' is not an IoT Edge device: it has no device scope`)
    return edge
  }

  /** One page of an edge device's device scope (registry/device-scope.ts), in IoT Hub's wire shapes. */
  async deviceScopePage(edgeDeviceId: string, after: IdentityKey | undefined, limit: number): Promise<{ devices: Device[]; modules: Module[]; next?: IdentityKey }> {
    const edge = await this.getEdgeRecord(edgeDeviceId)
    const page = await readDeviceScopePage(this.d.identities, edge, after, limit)
    return { ...this.scopeWire(page.records), ...(page.next ? { next: page.next } : {}) }
  }

  /** One identity of an edge device's scope; empty lists when it does not exist or is out of scope. */
  async deviceScopeIdentity(edgeDeviceId: string, deviceId: string, moduleId?: string | null): Promise<{ devices: Device[]; modules: Module[] }> {
    const edge = await this.getEdgeRecord(edgeDeviceId)
    const r = await findInDeviceScope(this.d.identities, edge, deviceId, moduleId)
    return this.scopeWire(r ? [r] : [])
  }

  private scopeWire(records: readonly IdentityRecord[]): { devices: Device[]; modules: Module[] } {
    const devices: Device[] = []
    const modules: Module[] = []
    for (const r of records) {
      if (r.moduleId) modules.push(toModule(r, this.d.presence))
      else devices.push(toDevice(r, this.d.presence))
    }
    return { devices, modules }
  }

  async statistics(): Promise<{ totalDeviceCount: number; enabledDeviceCount: number; disabledDeviceCount: number }> {
    const c = await this.d.identities.countDevices()
    return { totalDeviceCount: c.total, enabledDeviceCount: c.enabled, disabledDeviceCount: c.disabled }
  }

  /**
   * Read-modify-write of one identity, retried when another writer got there first.
   * `change` may throw (etag mismatch, invalid input): nothing is written then.
   */
  async mutate(deviceId: string, moduleId: string | null, change: (r: IdentityRecord) => Promise<IdentityRecord> | IdentityRecord): Promise<IdentityRecord> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.d.identities.get(deviceId, moduleId)
      if (!r) throw moduleId ? errors.moduleNotFound(deviceId, moduleId) : errors.deviceNotFound(deviceId)
      const next = await change(r)
      try {
        return await this.d.identities.update(next)
      } catch (err) {
        if (isAppError(err) && err.code === 'ERR_STORE_CONFLICT' && attempt < 20) continue
        if (isAppError(err) && err.code === 'ERR_STORE_NOT_FOUND') throw moduleId ? errors.moduleNotFound(deviceId, moduleId) : errors.deviceNotFound(deviceId)
        throw err
      }
    }
  }
}

/** If-Match semantics: absent or `*` matches anything; otherwise the (unquoted) etag must be the current one. */
export function checkEtag(ifMatch: string | undefined, current: string, what: string): void {
  if (ifMatch === undefined) return
  const given = unquoteEtag(ifMatch)
  if (given !== '*' && given !== current) throw errors.preconditionFailed(`${what} has etag '${current}', not '${given}': read it again and retry`)
}

/** The Azure SDK quotes etags, `"*"` included. */
export function unquoteEtag(ifMatch: string): string {
  return ifMatch.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')
}

function keysChanged(before: AuthenticationMechanism | undefined, after: AuthenticationMechanism): boolean {
  return before === undefined ||
    before.type !== after.type ||
    before.symmetricKey.primaryKey !== after.symmetricKey.primaryKey ||
    before.symmetricKey.secondaryKey !== after.symmetricKey.secondaryKey ||
    before.x509Thumbprint.primaryThumbprint !== after.x509Thumbprint.primaryThumbprint ||
    before.x509Thumbprint.secondaryThumbprint !== after.x509Thumbprint.secondaryThumbprint
}
