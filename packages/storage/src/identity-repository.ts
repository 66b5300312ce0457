import type { AuthenticationMechanism, DeviceCapabilities, DeviceStatus, TwinConfigurations } from '@ledge/protocol'

/** The twin state kept with an identity. Versions and etags are kept by the registry service, not the store. */
export interface TwinState {
  etag: string
  /** Increments on every twin change (tags, desired or reported). */
  version: number
  tags: Record<string, unknown>
  desired: Record<string, unknown>
  desiredVersion: number
  desiredUpdatedTime: string
  reported: Record<string, unknown>
  reportedVersion: number
  reportedUpdatedTime: string
  modelId: string
}

/** A device (moduleId null) or a module identity, with its twin. */
export interface IdentityRecord {
  deviceId: string
  /** null for the device itself. */
  moduleId: string | null
  generationId: string
  etag: string
  status: DeviceStatus
  statusReason: string | null
  statusUpdatedTime: string
  authentication: AuthenticationMechanism
  capabilities: DeviceCapabilities
  deviceScope?: string
  parentScopes?: string[]
  managedBy?: string | null
  createdTime: string
  lastActivityTime: string
  twin: TwinState
  /**
   * Edge devices only: the desired properties the last applied deployment gives each of the device's modules
   * (`modulesContent`), kept so that a module identity created later starts with its desired properties.
   */
  modulesContent?: Record<string, Record<string, unknown>>
  /**
   * Module twins of edge devices only: the twin's `configurations` section (automatic deployments that target the
   * device and address this module, each `Targeted` or `Applied`), kept by the hub's deployment engine. Absent when
   * none does.
   */
  configurations?: TwinConfigurations
  /**
   * Optimistic-concurrency counter owned by the store: `create` stores 1, every successful `update` stores
   * `revision + 1`. Callers never change it themselves.
   */
  revision: number
}

export interface IdentityKey {
  deviceId: string
  moduleId: string | null
}

export interface ActivityUpdate extends IdentityKey {
  lastActivityTime: string
}

/**
 * The registry's identities and twins.
 *
 * Errors: `create` throws AppError code `ERR_STORE_CONFLICT` (kind `conflict`) when any record exists already, and then
 * writes none of them; `update` throws `ERR_STORE_CONFLICT` when the stored revision differs from `record.revision`
 * (someone else wrote first: read again and retry) and `ERR_STORE_NOT_FOUND` (kind `not_found`) when the record is gone.
 */
export interface IdentityRepository {
  get(deviceId: string, moduleId?: string | null): Promise<IdentityRecord | undefined>
  /** Inserts all records in one transaction (a device with its `$edgeAgent`/`$edgeHub` modules). Returns them with revision 1. */
  create(records: readonly IdentityRecord[]): Promise<IdentityRecord[]>
  /** Compare-and-swap on `revision`; returns the stored record (revision incremented). */
  update(record: IdentityRecord): Promise<IdentityRecord>
  /** Deletes a module, or a device together with all its modules. True if something was deleted. */
  delete(deviceId: string, moduleId?: string | null): Promise<boolean>
  /** Devices (not modules) ordered by deviceId, those after `after` (exclusive). */
  listDevices(opts: { after?: string; limit: number }): Promise<IdentityRecord[]>
  /** The modules of one device, ordered by moduleId. */
  listModules(deviceId: string): Promise<IdentityRecord[]>
  /**
   * Pages through devices (`modules: false`) or modules (`modules: true`) in (deviceId, moduleId) order, after the
   * given key (exclusive): the basis of twin queries.
   */
  scan(opts: { modules: boolean; after?: IdentityKey; limit: number }): Promise<IdentityRecord[]>
  /** Devices in total, enabled and disabled. */
  countDevices(): Promise<{ total: number; enabled: number; disabled: number }>
  /** Records last activity for many identities in one write; unknown identities are ignored; revision is unchanged. */
  recordActivity(updates: readonly ActivityUpdate[]): Promise<void>
}
