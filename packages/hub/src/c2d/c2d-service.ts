/**
 * Cloud-to-device messages: validated and queued per device (durable, FIFO, TTL, at most 50 waiting), delivered by
 * whichever protocol head holds the device's connection, completed when the device acknowledges (MQTT PUBACK).
 */
import { DEFAULT_C2D_TTL_MS, MAX_C2D_MESSAGE_BYTES, MAX_C2D_QUEUE_DEPTH, MAX_C2D_TTL_MS, type ApplicationProperties, type SystemProperties } from '@ledge/protocol'
import { isAppError, type Clock, type Logger } from '@ledge/common'
import type { C2dQueue, C2dRecord } from '@ledge/storage'
import { randomUUID } from 'node:crypto'
import { errors } from '../errors.js'
import type { DeviceLinks } from '../links/device-links.js'

/** After this many deliveries without an acknowledgement a message is dropped (IoT Hub's maxDeliveryCount). */
export const MAX_DELIVERY_COUNT = 10

export interface C2dSendInput {
  body: Buffer
  messageId?: string
  correlationId?: string
  userId?: string
  contentType?: string
  contentEncoding?: string
  /** Absolute expiry, epoch ms; defaults to now + 1 hour. */
  expiryTime?: number
  /** `iothub-ack`: none | positive | negative | full (kept for feedback, which comes with AMQP). */
  ack?: string
  properties?: ApplicationProperties
}

export class C2dService {
  private sweepTimer: ReturnType<typeof setInterval> | undefined

  constructor(private readonly d: { queue: C2dQueue; links: DeviceLinks; clock: Clock; log: Logger; deviceExists: (id: string) => Promise<boolean> }) {}

  start(sweepIntervalMs = 30_000): void {
    this.sweepTimer = setInterval(() => void this.sweep(), sweepIntervalMs)
    this.sweepTimer.unref()
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer)
  }

  async send(deviceId: string, input: C2dSendInput): Promise<{ messageId: string; expiryTimeUtc: string }> {
    if (input.body.length > MAX_C2D_MESSAGE_BYTES) throw errors.messageTooLarge('the C2D message', input.body.length, MAX_C2D_MESSAGE_BYTES)
    if (!(await this.d.deviceExists(deviceId))) throw errors.deviceNotFound(deviceId)
    const now = this.d.clock.now()
    const expiry = input.expiryTime ?? now + DEFAULT_C2D_TTL_MS
    if (!Number.isFinite(expiry) || expiry <= now) throw errors.argumentInvalid('the C2D expiry time must be in the future')
    if (expiry - now > MAX_C2D_TTL_MS) throw errors.argumentInvalid(`the C2D time to live may be at most ${MAX_C2D_TTL_MS / 3600000} hours`)
    if (input.ack && !['none', 'positive', 'negative', 'full'].includes(input.ack)) throw errors.argumentInvalid(`ack must be none, positive, negative or full, not '${input.ack}'`)
    const messageId = input.messageId ?? randomUUID()
    const system: SystemProperties = {
      messageId,
      to: `/devices/${deviceId}/messages/deviceBound`,
      expiryTimeUtc: new Date(expiry).toISOString(),
    }
    if (input.correlationId) system.correlationId = input.correlationId
    if (input.userId) system.userId = input.userId
    if (input.contentType) system.contentType = input.contentType
    if (input.contentEncoding) system.contentEncoding = input.contentEncoding
    try {
      await this.d.queue.enqueue({ deviceId, body: input.body, systemProperties: system, properties: input.properties ?? {}, enqueuedTime: now, expiryTime: expiry }, MAX_C2D_QUEUE_DEPTH)
    } catch (err) {
      if (isAppError(err) && err.code === 'ERR_QUEUE_FULL') throw errors.queueFull(deviceId, MAX_C2D_QUEUE_DEPTH)
      throw err
    }
    this.d.log.debug({ event: 'c2d.enqueued', deviceId, messageId }, 'C2D message queued')
    this.d.links.get(deviceId, null)?.c2dAvailable()
    return { messageId, expiryTimeUtc: system.expiryTimeUtc! }
  }

  /** Messages to deliver now; ones delivered too often without an acknowledgement are dropped here. */
  async nextForDelivery(deviceId: string, limit: number): Promise<C2dRecord[]> {
    const out: C2dRecord[] = []
    for (const m of await this.d.queue.pending(deviceId, this.d.clock.now(), limit)) {
      if (m.deliveryCount >= MAX_DELIVERY_COUNT) {
        await this.d.queue.complete(deviceId, m.seq)
        this.d.log.warn({ event: 'c2d.dead_lettered', deviceId, messageId: m.systemProperties.messageId }, 'C2D message dropped after too many deliveries')
        continue
      }
      out.push(m)
    }
    return out
  }

  markDelivered(deviceId: string, seq: number): Promise<void> {
    return this.d.queue.markDelivered(deviceId, seq)
  }

  complete(deviceId: string, seq: number): Promise<boolean> {
    return this.d.queue.complete(deviceId, seq)
  }

  count(deviceId: string): Promise<number> {
    return this.d.queue.count(deviceId, this.d.clock.now())
  }

  purge(deviceId: string): Promise<number> {
    return this.d.queue.purge(deviceId)
  }

  private async sweep(): Promise<void> {
    try {
      const n = await this.d.queue.expire(this.d.clock.now())
      if (n > 0) this.d.log.info({ event: 'c2d.expired', count: n }, 'expired C2D messages removed')
    } catch (err) {
      this.d.log.warn({ err, event: 'c2d.sweep_failed' }, 'could not remove expired C2D messages')
    }
  }
}
