/**
 * The MQTT-over-WebSockets listener loads `ws` at the first upgrade (@ledge/mqtt-server's listeners.ts): a fresh hub
 * takes several unmodified SDK clients dialling over WebSockets at once, before anything has loaded it, and an
 * upgrade on any other path gets 404.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { cleanupStack, startTestHub } from '@ledge/testkit'
import { createDevice, device, eventually, openDevice, rest } from './helpers.js'

test('mqttws: the first upgrades of a fresh hub, all at once, each get a working MQTT connection', async (t) => {
  const cleanup = cleanupStack(t)
  const th = await startTestHub()
  cleanup.push(() => th.close())
  const ids = ['ws-first-1', 'ws-first-2', 'ws-first-3']
  const keys = await Promise.all(ids.map((id) => createDevice(th, id)))
  const clients = await Promise.all(ids.map((id, i) => openDevice(th, id, keys[i]!, 'mqttws')))
  for (const c of clients) cleanup.push(() => c.close())
  await Promise.all(clients.map((c, i) => c.sendEvent(new device.Message(`hello from ${ids[i]}`))))
  for (const id of ids) {
    const events = await eventually(async () => {
      const res = await rest(th, 'GET', `/events/messages?deviceId=${id}&from=earliest&limit=10`)
      const e = (res.body as { events: { body: unknown }[] }).events
      return e.length ? e : undefined
    }, 5000, `the event of ${id}`)
    assert.deepEqual(events.map((e) => e.body), [`hello from ${id}`])
  }
})

test('mqttws: an upgrade on another path than /$iothub/websocket gets 404', async (t) => {
  const cleanup = cleanupStack(t)
  const th = await startTestHub()
  cleanup.push(() => th.close())
  const status = await new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`wss://${th.host}/not/$iothub/websocket`, 'mqtt', { ca: th.caPem })
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => reject(new Error('the upgrade was accepted')))
    ws.on('error', (err) => reject(err))
  })
  assert.equal(status, 404)
})
