/**
 * The `$upstream` sink's poison rule, with a scripted sender (the real-hub cases are in upstream-reconnect.test.ts):
 * a message that is the first one unacknowledged when the connection drops three times in a row is dead-lettered;
 * outages (messages never sent) do not count.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Message } from '@ledge/protocol'
import { upstreamSink, type TelemetrySender } from '../src/upstream/upstream-sink.js'
import type { QueuedMessage } from '../src/store/message-store.js'
import type { TelemetryResult } from '../src/upstream/types.js'

const q = (offset: number): QueuedMessage => ({
  offset, endpointId: '$upstream', priority: 0, enqueuedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER,
  message: { body: Buffer.from('x'), systemProperties: { connectionDeviceId: 'leaf1' }, properties: {} } satisfies Message,
})

function scripted(script: TelemetryResult[][]): TelemetrySender {
  return { sendTelemetryResults: async () => script.shift() ?? [] }
}

test('upstream sink: a message the hub keeps closing the connection on is dead-lettered after 3 drops', async () => {
  const sink = upstreamSink(scripted([
    ['sent', 'dropped', 'dropped'],
    ['offline', 'offline'], // an outage in between does not reset or count
    ['dropped', 'dropped'],
    ['dropped', 'dropped'],
    ['sent'],
  ]))
  assert.deepEqual(await sink([q(1), q(2), q(3)]), { succeeded: [1], failed: [2, 3], invalid: [] })
  assert.deepEqual(await sink([q(2), q(3)]), { succeeded: [], failed: [2, 3], invalid: [] })
  assert.deepEqual(await sink([q(2), q(3)]), { succeeded: [], failed: [2, 3], invalid: [] })
  assert.deepEqual(await sink([q(2), q(3)]), { succeeded: [], failed: [3], invalid: [2] })
  assert.deepEqual(await sink([q(3)]), { succeeded: [3], failed: [], invalid: [] })
})

test('upstream sink: drops on different messages are not a poison', async () => {
  const sink = upstreamSink(scripted([['dropped', 'dropped'], ['sent', 'dropped'], ['dropped'], ['sent']]))
  assert.deepEqual((await sink([q(1), q(2)])).invalid, [])
  assert.deepEqual((await sink([q(1), q(2)])).invalid, [])
  assert.deepEqual((await sink([q(2)])).invalid, [])
  assert.deepEqual(await sink([q(2)]), { succeeded: [2], failed: [], invalid: [] })
})
