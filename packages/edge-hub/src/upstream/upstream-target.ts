/**
 * The `$upstream` endpoint as a stream target (see store/stream-executor.ts): each message goes up on its sender's
 * own cloud connection (the message's `connectionDeviceId`/`connectionModuleId`), and up to `window` are
 * unacknowledged at once, across senders. (Ledge first sent batches and waited for a batch's last PUBACK from the
 * hub before the next one: a round trip per batch, most of a backlog's drain time.)
 *
 * Outcomes of one message:
 * - acknowledged: PUBACKed by the hub;
 * - failed (the executor sends it again on the next channel, after a back-off): the connection is down, dropped
 *   before the PUBACK, or slow;
 * - refused (dead-lettered, never retried): no sender; over IoT Hub's 256 KB (body plus topic), checked here because
 *   the hub's only answer would be to close the connection; a "poison" message: the hub signals a permanent refusal
 *   only by closing the connection, so a message that is its sender's first one unacknowledged when the connection
 *   drops `poisonAfter` times in a row (default 3) is taken as refused. A transient outage cannot cause that: while
 *   the link is down messages fail as `offline` (never sent), which does not count.
 */
import { silentLogger, type Logger } from '@ledge/common'
import { identityKey, type ClientIdentity } from '../identity.js'
import type { QueuedMessage } from '../store/message-store.js'
import type { DeliveryChannel, StreamTarget } from '../store/stream-executor.js'
import { senderOf } from './telemetry.js'
import type { TelemetryResult } from './types.js'

/** What the target needs of the Upstream. */
export interface TelemetrySender {
  sendTelemetryResults(identity: ClientIdentity, messages: readonly QueuedMessage['message'][]): Promise<TelemetryResult[]>
}

export interface UpstreamTargetOptions {
  /** PUBLISHes to the hub unacknowledged at once, all senders together. Default 200. */
  window?: number
  poisonAfter?: number
  logger?: Logger
}

export function upstreamTarget(upstream: TelemetrySender, options: UpstreamTargetOptions = {}): StreamTarget {
  const log = options.logger ?? silentLogger()
  const window = options.window ?? 200
  const poisonAfter = options.poisonAfter ?? 3
  /** Per sender: the message that was first unacknowledged when its connection last dropped, and how many times in a row. */
  const suspects = new Map<string, { offset: number; drops: number }>()

  return {
    async open(): Promise<DeliveryChannel> {
      // Per channel: each sender's first message dropped on it (the drops of one connection come in send order).
      const firstDropped = new Set<string>()
      return {
        window,
        async send(q) {
          const identity = senderOf(q.message)
          if (!identity) {
            log.warn({ event: 'upstream.no_sender', offset: q.offset }, 'a message without connectionDeviceId cannot go upstream: dead-lettered')
            return 'refused'
          }
          const key = identityKey(identity.deviceId, identity.moduleId)
          let result
          try {
            ;[result] = await upstream.sendTelemetryResults(identity, [q.message])
          } catch (err) {
            log.warn({ event: 'upstream.send_failed', identity: key, err }, 'sending upstream failed')
          }
          if (result === 'sent') {
            if (suspects.get(key)?.offset === q.offset) suspects.delete(key)
            return
          }
          if (result === 'too_large') {
            log.warn({ event: 'upstream.too_large', identity: key, offset: q.offset, bytes: q.message.body.length }, 'message over the hub\'s 256 KB limit: dead-lettered')
            return 'refused'
          }
          if (result === 'dropped' && !firstDropped.has(key)) {
            firstDropped.add(key)
            const s = suspects.get(key)
            const drops = s?.offset === q.offset ? s.drops + 1 : 1
            if (drops >= poisonAfter) {
              suspects.delete(key)
              log.warn({ event: 'upstream.poison', identity: key, offset: q.offset, drops }, `the hub closed the connection ${drops} times on the same message: taken as refused and dead-lettered`)
              return 'refused'
            }
            suspects.set(key, { offset: q.offset, drops })
          }
          throw new Error(`upstream ${key}: ${result ?? 'offline'}`)
        },
      }
    },
  }
}
