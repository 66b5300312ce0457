/**
 * The `$upstream` stream target's outcomes, with a scripted sender (the real-hub drain is in offline.int.test.ts and
 * broker.int.test.ts): refused (dead-lettered) for no sender, too large, and a message that is its sender's first one
 * unacknowledged when the connection drops three times in a row; outages (messages never sent) do not count.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Message } from '@ledge/protocol'
import type { QueuedMessage } from '../src/store/message-store.js'
import type { TelemetryResult } from '../src/upstream/types.js'
import { upstreamTarget, type TelemetrySender } from '../src/upstream/upstream-target.js'

const q = (offset: number, deviceId = 'leaf1'): QueuedMessage => ({
  offset, endpointId: '$upstream', priority: 0, enqueuedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER,
  message: { body: Buffer.from('x'), systemProperties: deviceId ? { connectionDeviceId: deviceId } : {}, properties: {} } satisfies Message,
})

/** Answers each message with the next result scripted for its offset. */
function scripted(script: Record<number, TelemetryResult[]>): TelemetrySender & { calls: number } {
  const s = {
    calls: 0,
    sendTelemetryResults: async (_id: unknown, ms: readonly Message[]) => {
      s.calls++
      assert.equal(ms.length, 1, 'one message at a time')
      const offset = Number(ms[0]!.properties.offset)
      return [script[offset]!.shift()!]
    },
  }
  return s
}

const withOffset = (m: QueuedMessage): QueuedMessage => ({ ...m, message: { ...m.message, properties: { offset: String(m.offset) } } })

/** What one send comes to: acknowledged, refused, or failed (sent again on the next channel). */
async function outcome(p: Promise<void | 'refused'>): Promise<string> {
  try {
    return (await p) ?? 'sent'
  } catch {
    return 'failed'
  }
}

test('upstream target: a message the hub keeps closing the connection on is refused after 3 drops in a row', async () => {
  const sender = scripted({ 1: ['sent'], 2: ['dropped', 'offline', 'dropped', 'dropped'], 3: ['dropped', 'dropped', 'dropped', 'sent'] })
  const target = upstreamTarget(sender)
  const send = async (offsets: number[]): Promise<string[]> => {
    const ch = (await target.open())!
    assert.equal(ch.window, 200)
    return Promise.all(offsets.map((o) => outcome(ch.send(withOffset(q(o))))))
  }
  assert.deepEqual(await send([1, 2, 3]), ['sent', 'failed', 'failed'], 'drop 1 of message 2 (3 was dropped behind it)')
  assert.deepEqual(await send([2]), ['failed'], 'an outage in between neither counts nor resets')
  assert.deepEqual(await send([2, 3]), ['failed', 'failed'], 'drop 2')
  assert.deepEqual(await send([2, 3]), ['refused', 'failed'], 'drop 3: refused; the one behind it is not a suspect')
  assert.deepEqual(await send([3]), ['sent'])
})

test('upstream target: drops on different messages are not a poison; no sender and too large are refused unsent', async () => {
  const sender = scripted({ 1: ['dropped', 'sent'], 2: ['dropped', 'dropped', 'sent'], 5: ['too_large'] })
  const target = upstreamTarget(sender)
  const send = async (offsets: number[]): Promise<string[]> => {
    const ch = (await target.open())!
    return Promise.all(offsets.map((o) => outcome(ch.send(withOffset(q(o))))))
  }
  assert.deepEqual(await send([1, 2]), ['failed', 'failed'])
  assert.deepEqual(await send([1, 2]), ['sent', 'failed'])
  assert.deepEqual(await send([2]), ['sent'])
  const ch = (await target.open())!
  const calls = sender.calls
  assert.equal(await ch.send(q(4, '')), 'refused')
  assert.equal(sender.calls, calls, 'a message without a sender is never sent')
  assert.equal(await ch.send(withOffset(q(5))), 'refused')
})
