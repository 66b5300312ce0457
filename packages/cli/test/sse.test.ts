import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SseParser } from '../src/sse.js'

test('events split across chunks, comments skipped, multi-line data joined', () => {
  const p = new SseParser()
  assert.deepEqual(p.push(': ledge events stream\n\nid: 1\nevent: mes'), [])
  assert.deepEqual(p.push('sage\ndata: {"a":\ndata: 1}\n'), [])
  assert.deepEqual(p.push('\n: heartbeat\n\n'), [{ id: '1', event: 'message', data: '{"a":\n1}' }])
})

test('CRLF and CR line ends, a CR split from its LF, and the default event type', () => {
  const p = new SseParser()
  assert.deepEqual(p.push('data:x\r'), [])
  // The last CR may be half of a CRLF: the event it ends comes with the next chunk.
  assert.deepEqual(p.push('\n\r\ndata: y\r\r'), [{ event: 'message', data: 'x' }])
  assert.deepEqual(p.push(':'), [{ event: 'message', data: 'y' }])
})
