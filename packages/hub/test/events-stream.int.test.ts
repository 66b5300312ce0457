/**
 * GET /events streams telemetry live as server-sent events, filtered by device, resumable from an offset; the
 * retained stream survives a hub restart on the same data folder.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:https'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServiceSasToken, parseServiceConnectionString } from '@ledge/protocol'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { createDevice, device, openDevice, rest } from './helpers.js'

interface Sse {
  events: { id: string; data: Record<string, unknown> }[]
  close(): void
  waitFor(n: number, ms?: number): Promise<void>
}

function openSse(th: TestHub, query: string): Promise<Sse> {
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const token = createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 600 })
  return new Promise((resolve, reject) => {
    const req = request(`${th.url}/events?api-version=2021-04-12&${query}`, { headers: { authorization: token, accept: 'text/event-stream' }, ca: th.caPem }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE status ${res.statusCode}`))
      assert.match(String(res.headers['content-type']), /^text\/event-stream/)
      const sse: Sse = {
        events: [],
        close: () => req.destroy(),
        waitFor: (n, ms = 10_000) => new Promise((ok, fail) => {
          const until = Date.now() + ms
          const check = (): void => {
            if (sse.events.length >= n) return ok()
            if (Date.now() > until) return fail(new Error(`only ${sse.events.length} of ${n} events arrived`))
            setTimeout(check, 20)
          }
          check()
        }),
      }
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const id = /^id: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (id && data) sse.events.push({ id, data: JSON.parse(data) as Record<string, unknown> })
        }
      })
      resolve(sse)
    })
    req.on('error', reject)
    req.end()
  })
}

test('live events stream: filtered by device, in order, with properties; resumable from an offset', async () => {
  await using th = await startTestHub()
  const keyA = await createDevice(th, 'cam-a')
  const keyB = await createDevice(th, 'cam-b')
  const all = await openSse(th, 'from=latest')
  const onlyA = await openSse(th, 'deviceId=cam-a')
  const a = await openDevice(th, 'cam-a', keyA)
  const b = await openDevice(th, 'cam-b', keyB)
  try {
    for (let i = 0; i < 5; i++) {
      const m = new device.Message(JSON.stringify({ i }))
      m.properties.add('seq', String(i))
      await a.sendEvent(m)
      await b.sendEvent(new device.Message(`b${i}`))
    }
    await all.waitFor(10)
    await onlyA.waitFor(5)
    assert.deepEqual(onlyA.events.map((e) => (e.data.body as { i: number }).i), [0, 1, 2, 3, 4])
    assert.ok(onlyA.events.every((e) => e.data.deviceId === 'cam-a'))
    assert.deepEqual(onlyA.events.map((e) => (e.data.properties as { seq: string }).seq), ['0', '1', '2', '3', '4'])
    const offsets = all.events.map((e) => Number(e.id))
    assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y))
    // A reader that starts from an offset gets the history first, then live events.
    const from = all.events[4]!.id
    const resumed = await openSse(th, `from=${from}`)
    await resumed.waitFor(6)
    assert.equal(resumed.events[0]!.id, from)
    resumed.close()
  } finally {
    all.close()
    onlyA.close()
    await a.close()
    await b.close()
  }
})

test('acknowledged telemetry survives a hub restart on the same data folder', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ledge-restart-'))
  try {
    let host: string
    {
      await using th = await startTestHub({ dataDir })
      host = th.host
      const key = await createDevice(th, 'durable')
      const client = await openDevice(th, 'durable', key)
      for (let i = 0; i < 20; i++) await client.sendEvent(new device.Message(`m${i}`))
      await client.close()
    }
    await using again = await startTestHub({ dataDir, bind: host })
    const res = await rest(again, 'GET', '/events/messages?deviceId=durable&from=earliest')
    assert.deepEqual((res.body as { events: { body: string }[] }).events.map((e) => e.body), Array.from({ length: 20 }, (_, i) => `m${i}`))
    const d = await rest(again, 'GET', '/devices/durable')
    assert.equal(d.status, 200)
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})
