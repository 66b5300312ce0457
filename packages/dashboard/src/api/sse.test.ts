import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SseParser, followEventStream, type SseEvent, type StreamState } from './sse.js'

test('events split across chunks, comments, multi-line data and CRLF', () => {
  const p = new SseParser()
  const text = ': ledge events stream\n\nid: 7\nevent: message\ndata: {"a":\ndata: 1}\n\n: heartbeat\r\n\r\nid: 8\r\ndata: x\r\n\r\n'
  const out: SseEvent[] = []
  for (let i = 0; i < text.length; i += 3) out.push(...p.feed(text.slice(i, i + 3)))
  assert.deepEqual(out, [
    { id: '7', event: 'message', data: '{"a":\n1}' },
    { id: '8', event: 'message', data: 'x' },
  ])
  assert.equal(p.lastEventId, '8')
})

test('a dropped stream is resumed with Last-Event-ID; a 401 stops it', async () => {
  const seen: (string | undefined)[] = []
  let calls = 0
  const ac = new AbortController()
  const fakeFetch = (async (_url: string, init: RequestInit) => {
    calls++
    seen.push((init.headers as Record<string, string>)['last-event-id'])
    if (calls === 1) return new Response('id: 41\ndata: a\n\nid: 42\ndata: b\n\n', { status: 200 })
    return new Response('{"Message":"ErrorCode:IotHubUnauthorizedAccess;SAS token expired"}', { status: 401 })
  }) as typeof fetch
  const events: string[] = []
  const states: StreamState[] = []
  await followEventStream({
    url: () => 'https://hub/events', authorization: async () => 'SharedAccessSignature x', signal: ac.signal, fetch: fakeFetch,
    onEvent: (e) => events.push(e.data), onState: (s) => states.push(s),
  })
  assert.deepEqual(events, ['a', 'b'])
  assert.deepEqual(seen, [undefined, '42'])
  const last = states.at(-1)
  assert.equal(last?.kind, 'failed')
  assert.match((last as { error: string }).error, /SAS token expired/)
})
