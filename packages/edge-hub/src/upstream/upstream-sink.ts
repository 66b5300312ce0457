/**
 * The `$upstream` endpoint's sink for the EndpointExecutor: a batch is grouped by sender (the message's
 * `connectionDeviceId`/`connectionModuleId`), each group goes up on its sender's own cloud connection, in order, and
 * the groups go in parallel.
 *
 * Outcomes:
 * - **succeeded**: PUBACKed by the hub.
 * - **failed** (retried by the executor with back-off): the connection is down, dropped before the PUBACK, or slow.
 * - **invalid** (dead-lettered, never retried): a message with no sender; one over IoT Hub's 256 KB (body plus
 *   topic), checked here because the hub's only answer would be to close the connection; and a "poison" message:
 *   the hub signals a permanent refusal only by closing the connection, so a message that is the first one unacknowledged
 *   when the connection drops `poisonAfter` times in a row (default 3) is taken as refused. A transient outage cannot
 *   cause that, since while the link is down messages fail as `offline` (never sent), which does not count.
 */
import type { Logger } from '@ledge/common'
import { silentLogger } from '@ledge/common'
import type { QueuedMessage } from '../store/message-store.js'
import type { Sink, SinkResult } from '../store/endpoint-executor.js'
import { identityKey, type ClientIdentity } from '../identity.js'
import { senderOf } from './telemetry.js'
import type { TelemetryResult } from './types.js'

export interface UpstreamSinkOptions {
  poisonAfter?: number
  logger?: Logger
}

/** What the sink needs of the Upstream. */
export interface TelemetrySender {
  sendTelemetryResults(identity: ClientIdentity, messages: readonly QueuedMessage['message'][]): Promise<TelemetryResult[]>
}

export function upstreamSink(upstream: TelemetrySender, options: UpstreamSinkOptions = {}): Sink {
  const log = options.logger ?? silentLogger()
  const poisonAfter = options.poisonAfter ?? 3
  const suspects = new Map<string, { offset: number; drops: number }>()

  return async (batch: readonly QueuedMessage[]): Promise<SinkResult> => {
    const succeeded: number[] = []
    const failed: number[] = []
    const invalid: number[] = []
    const groups = new Map<string, { identity: ClientIdentity; items: QueuedMessage[] }>()
    for (const q of batch) {
      const identity = senderOf(q.message)
      if (!identity) {
        log.warn({ event: 'upstream.no_sender', offset: q.offset }, 'a message without connectionDeviceId cannot go upstream: dead-lettered')
        invalid.push(q.offset)
        continue
      }
      const key = identityKey(identity.deviceId, identity.moduleId)
      const g = groups.get(key) ?? { identity, items: [] }
      g.items.push(q)
      groups.set(key, g)
    }
    await Promise.all([...groups].map(async ([key, g]) => {
      let results: TelemetryResult[]
      try {
        results = await upstream.sendTelemetryResults(g.identity, g.items.map((q) => q.message))
      } catch (err) {
        log.warn({ event: 'upstream.send_failed', identity: key, err }, 'sending upstream failed')
        results = g.items.map(() => 'offline')
      }
      let firstDropped: number | undefined
      g.items.forEach((q, i) => {
        const r = results[i] ?? 'offline'
        if (r === 'sent') succeeded.push(q.offset)
        else if (r === 'too_large') {
          log.warn({ event: 'upstream.too_large', identity: key, offset: q.offset, bytes: q.message.body.length }, 'message over the hub\'s 256 KB limit: dead-lettered')
          invalid.push(q.offset)
        } else {
          if (r === 'dropped' && firstDropped === undefined) firstDropped = q.offset
          failed.push(q.offset)
        }
      })
      if (firstDropped === undefined) {
        const s = suspects.get(key)
        if (s && succeeded.includes(s.offset)) suspects.delete(key)
        return
      }
      const s = suspects.get(key)
      const drops = s?.offset === firstDropped ? s.drops + 1 : 1
      if (drops < poisonAfter) {
        suspects.set(key, { offset: firstDropped, drops })
        return
      }
      suspects.delete(key)
      log.warn({ event: 'upstream.poison', identity: key, offset: firstDropped, drops }, `the hub closed the connection ${drops} times on the same message: taken as refused and dead-lettered`)
      failed.splice(failed.indexOf(firstDropped), 1)
      invalid.push(firstDropped)
    }))
    return { succeeded, failed, invalid }
  }
}
