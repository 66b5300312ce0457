/**
 * The sink of a `BrokeredEndpoint("/modules/{m}/inputs/{i}")`: delivers each message to the module's connection at
 * QoS 1 on `devices/{edge}/modules/{m}/inputs/{i}/{properties}` and counts it delivered on the module's PUBACK.
 * While the module is not connected (or not subscribed to its inputs) the sink waits a little for it, then reports
 * the batch failed: the executor retries, so messages wait in the store, in order, until the module comes.
 */
import { formatPropertyBag, inputTopic, type SystemProperties } from '@ledge/protocol'
import type { ConnectedClients } from '../broker/clients.js'
import type { Sink } from '../store/endpoint-executor.js'

/** System properties a module input carries (the cloud's own ones, such as the enqueued time, are not set here). */
const INPUT_SYSTEM_PROPERTIES: readonly (keyof SystemProperties)[] = [
  'messageId', 'correlationId', 'userId', 'to', 'contentType', 'contentEncoding', 'expiryTimeUtc', 'creationTimeUtc',
  'interfaceId', 'componentName', 'messageSchema', 'outputName', 'connectionDeviceId', 'connectionModuleId',
]

export function moduleInputSink(o: { clients: ConnectedClients; edgeDeviceId: string; module: string; input: string; waitMs: number; onDelivered?: (n: number) => void }): Sink {
  return async (batch) => {
    const conn = await o.clients.whenSubscribed(o.edgeDeviceId, o.module, 'inputs', o.waitMs)
    if (!conn) return { succeeded: [], failed: batch.map((m) => m.offset), invalid: [] }
    const results = await Promise.allSettled(
      batch.map((m) =>
        conn.deliver(inputTopic(o.edgeDeviceId, o.module, o.input, formatPropertyBag(m.message.systemProperties, m.message.properties, INPUT_SYSTEM_PROPERTIES)), m.message.body),
      ),
    )
    const succeeded: number[] = []
    const failed: number[] = []
    results.forEach((r, i) => (r.status === 'fulfilled' ? succeeded : failed).push(batch[i]!.offset))
    if (succeeded.length > 0) o.onDelivered?.(succeeded.length)
    return { succeeded, failed, invalid: [] }
  }
}
