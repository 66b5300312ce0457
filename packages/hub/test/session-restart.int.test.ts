/**
 * Persistent sessions survive a hub restart. After an error disconnect the Azure SDK reconnects and subscribes
 * again to C2D and methods, but never to the twin topics; desired-property notifications keep arriving only because
 * the hub kept the session.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { createDevice, eventually, once, openDevice, registryOf, rest } from './helpers.js'

test('a device reconnecting after a hub restart still gets desired-property notifications', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ledge-session-'))
  try {
    const first = await startTestHub({ dataDir })
    const { host } = first
    const mqttPort = first.hub.mqttPort
    const key = await createDevice(first, 'survivor')
    const client = await openDevice(first, 'survivor', key)
    // The second hub closes after the client (not at the end of the try block, before it): an SDK client whose server
    // goes away before close() keeps retrying for 240 s and keeps this process alive.
    let firstClosed = false
    let second: TestHub | undefined
    try {
      const twin = await client.getTwin()
      twin.on('properties.desired', () => undefined) // subscribes to desired patches once, as apps do
      await new Promise((r) => setTimeout(r, 300))
      await first.close()
      firstClosed = true

      second = await startTestHub({ dataDir, bind: host, mqttPort })
      await eventually(async () => {
        const d = await rest(second!, 'GET', '/devices/survivor')
        return (d.body as { connectionState: string }).connectionState === 'Connected' ? true : undefined
      }, 20_000, 'the SDK to reconnect')
      const changed = once<number>(twin, 'properties.desired.afterRestart', 10_000)
      await registryOf(second).updateTwin('survivor', { properties: { desired: { afterRestart: 7 } } }, '*')
      assert.equal(await changed, 7)
    } finally {
      await client.close()
      await second?.close()
      if (!firstClosed) await first.close()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('deleting a device removes its C2D queue and its session', async () => {
  await using th = await startTestHub()
  await createDevice(th, 'short-lived')
  await rest(th, 'POST', '/devices/short-lived/messages/deviceBound', 'hello')
  assert.equal((await rest(th, 'DELETE', '/devices/short-lived', undefined, { 'if-match': '*' })).status, 204)
  await createDevice(th, 'short-lived')
  const d = await rest(th, 'GET', '/devices/short-lived')
  assert.equal((d.body as { cloudToDeviceMessageCount: number }).cloudToDeviceMessageCount, 0, 'a device created again starts with an empty queue')
})
