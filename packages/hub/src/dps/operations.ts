/**
 * Registration operations the devices poll (`GET …/operations/{operationId}`, `iotdps-get-operationstatus`). They
 * live in memory for {@link OPERATION_TTL_MS}: a device that loses its operation (hub restart) registers again and
 * gets the same assignment back.
 */
import type { Clock } from '@ledge/common'
import type { DeviceRegistrationState } from './enrollment-input.js'

export const OPERATION_TTL_MS = 10 * 60_000
/** Bounds memory under a registration storm: the oldest operations go first. */
export const MAX_OPERATIONS = 100_000

/** DPS `RegistrationOperationStatus`. */
export interface RegistrationOperationStatus {
  operationId: string
  status: 'assigning' | 'assigned' | 'failed'
  registrationState?: DeviceRegistrationState
}

interface Entry {
  registrationId: string
  status: RegistrationOperationStatus
  expiresAt: number
}

export class OperationTable {
  // A Map iterates in insertion order: the first entries are the oldest.
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly clock: Clock) {}

  put(operationId: string, registrationId: string, status: RegistrationOperationStatus): void {
    const now = this.clock.now()
    for (const [id, e] of this.entries) {
      if (e.expiresAt > now && this.entries.size < MAX_OPERATIONS) break
      this.entries.delete(id)
    }
    this.entries.set(operationId, { registrationId, status, expiresAt: now + OPERATION_TTL_MS })
  }

  get(operationId: string): { registrationId: string; status: RegistrationOperationStatus } | undefined {
    const e = this.entries.get(operationId)
    if (!e || e.expiresAt <= this.clock.now()) return undefined
    return e
  }

  get size(): number {
    return this.entries.size
  }
}
