import type { ApplicationProperties, SystemProperties } from '@ledge/protocol'

/** A cloud-to-device message waiting in a device's queue. */
export interface C2dRecord {
  deviceId: string
  /** Assigned by the store on enqueue, strictly increasing per store. */
  seq: number
  body: Buffer
  systemProperties: SystemProperties
  properties: ApplicationProperties
  /** Epoch milliseconds. */
  enqueuedTime: number
  expiryTime: number
  /** Times the message was sent to the device without being completed. */
  deliveryCount: number
}

export type C2dInput = Omit<C2dRecord, 'seq' | 'deliveryCount'>

/**
 * Per-device C2D queues (FIFO). Errors: `enqueue` throws AppError `ERR_QUEUE_FULL` (kind `throttled`) when the device
 * already has `maxDepth` unexpired messages; the message is then not stored.
 */
export interface C2dQueue {
  enqueue(message: C2dInput, maxDepth: number): Promise<C2dRecord>
  /** Unexpired messages of a device in enqueue order. */
  pending(deviceId: string, now: number, limit: number): Promise<C2dRecord[]>
  /** Removes a message (the device acknowledged it). True if it was there. */
  complete(deviceId: string, seq: number): Promise<boolean>
  /** Counts one more delivery attempt. */
  markDelivered(deviceId: string, seq: number): Promise<void>
  /** Unexpired messages waiting for a device. */
  count(deviceId: string, now: number): Promise<number>
  /** Removes every message of a device; returns how many. */
  purge(deviceId: string): Promise<number>
  /** Removes expired messages of all devices; returns how many. */
  expire(now: number): Promise<number>
}
