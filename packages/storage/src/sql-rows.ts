/**
 * The row shapes the SQL adapters (SQLite, PostgreSQL) share, and their mapping to and from the ports' records: the
 * columns a store filters or writes on its own are columns, the rest of a record is JSON text. Pure functions; each
 * adapter keeps its own SQL.
 */
import type { ApplicationProperties, DeviceStatus, SystemProperties } from '@ledge/protocol'
import type { C2dRecord } from './c2d-queue.js'
import type { EventRecord } from './event-log.js'
import type { IdentityRecord } from './identity-repository.js'

export interface IdentityRow {
  device_id: string
  /** '' for the device itself: NULL would make every device row distinct in the primary key. */
  module_id: string
  status: DeviceStatus
  revision: number
  last_activity_time: string
  doc: string
}

/** The record minus its column-backed fields: what goes into `doc`. */
type IdentityDoc = Omit<IdentityRecord, 'deviceId' | 'moduleId' | 'status' | 'revision' | 'lastActivityTime'>

export function identityToRow(r: IdentityRecord, revision: number): IdentityRow {
  const { deviceId, moduleId, status, revision: _revision, lastActivityTime, ...doc } = r
  return { device_id: deviceId, module_id: moduleId ?? '', status, revision, last_activity_time: lastActivityTime, doc: JSON.stringify(doc satisfies IdentityDoc) }
}

export function identityFromRow(row: IdentityRow): IdentityRecord {
  const doc = JSON.parse(row.doc) as IdentityDoc
  return {
    deviceId: row.device_id,
    moduleId: row.module_id === '' ? null : row.module_id,
    ...doc,
    status: row.status,
    lastActivityTime: row.last_activity_time,
    revision: row.revision,
  }
}

export interface C2dRow {
  seq: number
  device_id: string
  enqueued_time: number
  expiry_time: number
  delivery_count: number
  system_properties: string
  properties: string
  body: Buffer
}

export function c2dFromRow(row: C2dRow): C2dRecord {
  return {
    deviceId: row.device_id,
    seq: row.seq,
    body: row.body,
    systemProperties: JSON.parse(row.system_properties) as SystemProperties,
    properties: JSON.parse(row.properties) as ApplicationProperties,
    enqueuedTime: row.enqueued_time,
    expiryTime: row.expiry_time,
    deliveryCount: row.delivery_count,
  }
}

export interface EventRow {
  offset: number
  device_id: string
  /** '' for the device's own events. */
  module_id: string
  enqueued_time: number
  system_properties: string
  properties: string
  body: Buffer
}

export function eventFromRow(row: EventRow): EventRecord {
  return {
    offset: row.offset,
    deviceId: row.device_id,
    moduleId: row.module_id === '' ? null : row.module_id,
    enqueuedTime: row.enqueued_time,
    systemProperties: JSON.parse(row.system_properties) as SystemProperties,
    properties: JSON.parse(row.properties) as ApplicationProperties,
    body: row.body,
  }
}
