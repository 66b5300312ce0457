/**
 * A `BrokeredEndpoint("/modules/{m}/inputs/{i}")` as a stream target: each message goes to the module's connection
 * at QoS 1 on `devices/{edge}/modules/{m}/inputs/{i}/{properties}` and counts as delivered on the module's PUBACK.
 * While the module is not connected (or not subscribed to its inputs), `open` waits a little for it, then gives up:
 * the executor tries again after a back-off, so messages wait in the store, in order, until the module comes.
 */
import { formatPropertyBag, inputTopic, type SystemProperties } from '@ledge/protocol'
import type { ConnectedClients } from '../broker/clients.js'
import type { StreamTarget } from '../store/stream-executor.js'

/** System properties a module input carries (the cloud's own ones, such as the enqueued time, are not set here). */
const INPUT_SYSTEM_PROPERTIES: readonly (keyof SystemProperties)[] = [
  'messageId', 'correlationId', 'userId', 'to', 'contentType', 'contentEncoding', 'expiryTimeUtc', 'creationTimeUtc',
  'interfaceId', 'componentName', 'messageSchema', 'outputName', 'connectionDeviceId', 'connectionModuleId',
]

export function moduleInputTarget(o: { clients: ConnectedClients; edgeDeviceId: string; module: string; input: string; waitMs: number }): StreamTarget {
  return {
    async open() {
      const conn = await o.clients.whenSubscribed(o.edgeDeviceId, o.module, 'inputs', o.waitMs)
      if (!conn) return undefined
      return {
        window: conn.deliveryWindow,
        send: (m) =>
          conn.deliver(inputTopic(o.edgeDeviceId, o.module, o.input, formatPropertyBag(m.message.systemProperties, m.message.properties, INPUT_SYSTEM_PROPERTIES)), m.message.body),
      }
    },
  }
}
