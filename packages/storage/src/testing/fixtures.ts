/**
 * Record builders for the contract suite (and for any test that needs a plausible record): every field set, with
 * values that survive a JSON round trip and are easy to tell apart.
 */
import assert from 'node:assert/strict'
import { isAppError, type ErrorKind } from '@ledge/common'
import type { C2dInput } from '../c2d-queue.js'
import type { EventInput } from '../event-log.js'
import type { IdentityRecord } from '../identity-repository.js'
import type { SharedAccessPolicy } from '../policy-repository.js'

const T0 = '2024-05-01T10:00:00.000Z'

/** A device (`moduleId` null) or module record with revision 0, as the registry hands it to `create`. */
export function identityRecord(deviceId: string, moduleId: string | null = null, overrides: Partial<IdentityRecord> = {}): IdentityRecord {
  const name = moduleId ? `${deviceId}/${moduleId}` : deviceId
  const record: IdentityRecord = {
    deviceId,
    moduleId,
    generationId: '638000000000000001',
    etag: 'MQ==',
    status: 'enabled',
    statusReason: null,
    statusUpdatedTime: T0,
    authentication: {
      type: 'sas',
      symmetricKey: { primaryKey: Buffer.from(`${name}:primary`).toString('base64'), secondaryKey: Buffer.from(`${name}:secondary`).toString('base64') },
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    },
    capabilities: { iotEdge: false },
    createdTime: T0,
    lastActivityTime: '0001-01-01T00:00:00Z',
    twin: {
      etag: 'AAAAAAAAAAE=',
      version: 1,
      tags: {},
      desired: {},
      desiredVersion: 1,
      desiredUpdatedTime: T0,
      reported: {},
      reportedVersion: 1,
      reportedUpdatedTime: T0,
      modelId: '',
    },
    revision: 0,
  }
  if (moduleId !== null) record.managedBy = null
  return { ...record, ...overrides }
}

/** An edge device with its `$edgeAgent` and `$edgeHub` modules, as `create` receives them. */
export function edgeDeviceRecords(deviceId: string): IdentityRecord[] {
  return [
    identityRecord(deviceId, null, { capabilities: { iotEdge: true }, deviceScope: `ms-azure-iot-edge://${deviceId}-638000000000000001` }),
    identityRecord(deviceId, '$edgeAgent', { managedBy: 'IotEdge' }),
    identityRecord(deviceId, '$edgeHub', { managedBy: 'IotEdge' }),
  ]
}

/** A C2D message that expires `ttlMs` after `enqueuedTime`. */
export function c2dInput(deviceId: string, enqueuedTime: number, overrides: Partial<C2dInput> & { ttlMs?: number } = {}): C2dInput {
  const { ttlMs = 60_000, ...rest } = overrides
  return {
    deviceId,
    body: Buffer.from(`c2d for ${deviceId} at ${enqueuedTime}`),
    systemProperties: { messageId: `m-${deviceId}-${enqueuedTime}`, to: `/devices/${deviceId}/messages/devicebound` },
    properties: { kind: 'test' },
    enqueuedTime,
    expiryTime: enqueuedTime + ttlMs,
    ...rest,
  }
}

/** A telemetry event of a device (or module) with a body of `size` bytes (default: a short text). */
export function eventInput(deviceId: string, moduleId: string | null, enqueuedTime: number, overrides: Partial<EventInput> & { size?: number } = {}): EventInput {
  const { size, ...rest } = overrides
  return {
    deviceId,
    moduleId,
    enqueuedTime,
    systemProperties: { messageId: `e-${deviceId}-${enqueuedTime}`, connectionDeviceId: deviceId, ...(moduleId ? { connectionModuleId: moduleId } : {}) },
    properties: { n: String(enqueuedTime) },
    body: size === undefined ? Buffer.from(`{"t":${enqueuedTime}}`) : Buffer.alloc(size, enqueuedTime % 251),
    ...rest,
  }
}

export function policy(keyName: string, overrides: Partial<SharedAccessPolicy> = {}): SharedAccessPolicy {
  return {
    keyName,
    primaryKey: Buffer.from(`${keyName}:primary`).toString('base64'),
    secondaryKey: Buffer.from(`${keyName}:secondary`).toString('base64'),
    rights: ['RegistryRead', 'ServiceConnect'],
    ...overrides,
  }
}

/** Bytes that are not valid UTF-8 (lone continuation bytes, an overlong NUL, 0xFF) plus NULs: a text column would mangle them. */
export const NON_UTF8 = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x00, 0x7f])

/** Asserts that `promise` rejects with an AppError of this code and kind. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string, kind: ErrorKind): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`)
    assert.equal(err.code, code)
    assert.equal(err.kind, kind)
    return true
  })
}
