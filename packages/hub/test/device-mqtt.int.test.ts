/**
 * The unmodified azure-iot-device client (MQTT and MQTT over WebSockets) against a real hub: telemetry with
 * properties reaches the events stream, C2D arrives with its properties and is completed, twins and direct methods
 * work, and a short SAS token renewal keeps the persistent session (the SDK does not subscribe again).
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { createDevice, device, eventually, once, openDevice, registryOf, rest, serviceClientOf, type DeviceClient } from './helpers.js'

let th: TestHub
before(async () => {
  th = await startTestHub()
})
after(async () => {
  await th?.close()
})

type EventJson = { offset: number; deviceId: string; moduleId: string | null; systemProperties: Record<string, string>; properties: Record<string, string>; body: unknown; bodyEncoding: string }

async function eventsOf(deviceId: string): Promise<EventJson[]> {
  const res = await rest(th, 'GET', `/events/messages?deviceId=${encodeURIComponent(deviceId)}&from=earliest&limit=1000`)
  assert.equal(res.status, 200)
  return (res.body as { events: EventJson[] }).events
}

for (const transport of ['mqtt', 'mqttws'] as const) {
  test(`${transport}: telemetry with system and application properties reaches the events stream`, async () => {
    const id = `tele-${transport}`
    const key = await createDevice(th, id)
    const client = await openDevice(th, id, key, transport)
    try {
      const msg = new device.Message(JSON.stringify({ temperature: 21.5 }))
      msg.messageId = 'msg-1'
      msg.correlationId = 'corr-1'
      msg.contentType = 'application/json'
      msg.contentEncoding = 'utf-8'
      msg.properties.add('alert', 'hot & humid')
      msg.properties.add('ünïcode key', 'välue/with?odd=chars')
      await client.sendEvent(msg)
      await client.sendEvent(new device.Message('plain text'))
      const events = await eventually(async () => {
        const e = await eventsOf(id)
        return e.length >= 2 ? e : undefined
      }, 5000, 'two events')
      const [first, second] = events
      assert.deepEqual(first!.body, { temperature: 21.5 })
      assert.equal(first!.bodyEncoding, 'json')
      assert.equal(first!.systemProperties.messageId, 'msg-1')
      assert.equal(first!.systemProperties.correlationId, 'corr-1')
      assert.equal(first!.systemProperties.contentType, 'application/json')
      assert.equal(first!.systemProperties.contentEncoding, 'utf-8')
      assert.equal(first!.systemProperties.connectionDeviceId, id)
      assert.ok(first!.systemProperties.enqueuedTimeUtc)
      assert.deepEqual(first!.properties, { alert: 'hot & humid', 'ünïcode key': 'välue/with?odd=chars' })
      assert.equal(second!.body, 'plain text')
      assert.ok(second!.offset > first!.offset)
    } finally {
      await client.close()
    }
  })

  test(`${transport}: C2D messages arrive in order with their properties and are completed`, async () => {
    const id = `c2d-${transport}`
    const key = await createDevice(th, id)
    // Queued while the device is offline: delivered when it subscribes.
    const sent = await rest(th, 'POST', `/devices/${id}/messages/deviceBound`, 'first', { 'content-type': 'text/plain', 'iothub-messageid': 'c2d-1', 'iothub-app-color': 'red' })
    assert.equal(sent.status, 200, JSON.stringify(sent.body))
    const client = await openDevice(th, id, key, transport)
    try {
      const received: { data: string; messageId: string; props: Record<string, string> }[] = []
      const done = new Promise<void>((resolve) => {
        client.on('message', (m: import('azure-iot-device').Message) => {
          const props: Record<string, string> = {}
          for (let i = 0; i < m.properties.count(); i++) {
            const p = m.properties.getItem(i)
            props[p.key] = p.value
          }
          received.push({ data: m.data.toString(), messageId: m.messageId, props })
          void client.complete(m)
          if (received.length === 2) resolve()
        })
      })
      await rest(th, 'POST', `/devices/${id}/messages/deviceBound`, 'second', { 'iothub-messageid': 'c2d-2', 'iothub-correlationid': 'k' })
      await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${received.length} C2D messages arrived`)), 10_000))])
      assert.deepEqual(received.map((r) => r.data), ['first', 'second'])
      assert.deepEqual(received.map((r) => r.messageId), ['c2d-1', 'c2d-2'])
      assert.equal(received[0]!.props.color, 'red')
      // Completed on PUBACK: the queue is empty.
      const twin = await eventually(async () => {
        const t = await rest(th, 'GET', `/devices/${id}`)
        return (t.body as { cloudToDeviceMessageCount: number }).cloudToDeviceMessageCount === 0 ? t : undefined
      }, 5000, 'the C2D queue to empty')
      assert.equal(twin.status, 200)
    } finally {
      await client.close()
    }
  })

  test(`${transport}: twin get, reported patch and desired notifications`, async () => {
    const id = `twin-${transport}`
    const key = await createDevice(th, id)
    const client = await openDevice(th, id, key, transport)
    try {
      const twin = await client.getTwin()
      assert.equal(typeof twin.properties.desired.$version, 'number')
      await new Promise<void>((resolve, reject) => twin.properties.reported.update({ firmware: '1.2.3', nested: { a: 1 } }, (err?: Error) => (err ? reject(err) : resolve())))
      const registry = registryOf(th)
      const serviceTwin = (await registry.getTwin(id)).responseBody
      assert.equal(serviceTwin.properties.reported.firmware, '1.2.3')
      assert.deepEqual(serviceTwin.properties.reported.nested, { a: 1 })

      const desired = once<Record<string, unknown>>(twin, 'properties.desired.telemetryInterval')
      await registry.updateTwin(id, { properties: { desired: { telemetryInterval: 5 } } }, serviceTwin.etag)
      const patch = await desired
      assert.equal(patch, 5)
      assert.equal(twin.properties.desired.telemetryInterval, 5)
    } finally {
      await client.close()
    }
  })

  test(`${transport}: direct methods are invoked through the service client`, async () => {
    const id = `method-${transport}`
    const key = await createDevice(th, id)
    const client = await openDevice(th, id, key, transport)
    try {
      client.onDeviceMethod('reboot', (request, response) => {
        void response.send(200, { rebooting: true, delay: (request.payload as { delay: number }).delay })
      })
      const service = serviceClientOf(th)
      const result = await eventually(async () => {
        try {
          return await service.invokeDeviceMethod(id, { methodName: 'reboot', payload: { delay: 3 }, responseTimeoutInSeconds: 10 })
        } catch {
          return undefined // the method subscription may not be in place yet
        }
      }, 5000, 'the method subscription')
      assert.equal(result.result.status, 200)
      assert.deepEqual(result.result.payload, { rebooting: true, delay: 3 })
    } finally {
      await client.close()
    }
  })
}

test('a SAS token renewal reconnects on the same persistent session: twin and methods keep working', async () => {
  const id = 'renewal'
  const key = await createDevice(th, id)
  const client: DeviceClient = await openDevice(th, id, key, 'mqtt', { tokenRenewal: { tokenValidTimeInSeconds: 8, tokenRenewalMarginInSeconds: 4 } })
  try {
    const twin = await client.getTwin()
    client.onDeviceMethod('ping', (_req, res) => void res.send(200, 'pong'))
    await new Promise((r) => setTimeout(r, 500))
    const before = await rest(th, 'GET', `/devices/${id}`)
    assert.equal((before.body as { connectionState: string }).connectionState, 'Connected')
    // Two renewals: each is a DISCONNECT and a CONNECT with clean=false and no new SUBSCRIBE.
    await new Promise((r) => setTimeout(r, 9000))
    const desired = once<number>(twin, 'properties.desired.after')
    await registryOf(th).updateTwin(id, { properties: { desired: { after: 42 } } }, '*')
    assert.equal(await desired, 42)
    const result = await serviceClientOf(th).invokeDeviceMethod(id, { methodName: 'ping', payload: null, responseTimeoutInSeconds: 5 })
    assert.equal(result.result.payload, 'pong')
    const again = await client.getTwin()
    assert.equal(again.properties.desired.after, 42)
  } finally {
    await client.close()
  }
})
