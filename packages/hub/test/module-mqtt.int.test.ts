/**
 * A module identity with the unmodified ModuleClient: telemetry carries the module id, module twins and module
 * direct methods work, and a module cannot use its device's C2D topic.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestHub } from '@ledge/testkit'
import { device, eventually, once, openModule, registryOf, rest, serviceClientOf } from './helpers.js'

test('ModuleClient: telemetry, module twin desired/reported, module methods', async () => {
  await using th = await startTestHub()
  const registry = registryOf(th)
  await registry.create({ deviceId: 'gw' })
  const mod = (await registry.addModule({ deviceId: 'gw', moduleId: 'detector' })).responseBody
  const client = await openModule(th, 'gw', 'detector', mod.authentication!.symmetricKey!.primaryKey!)
  try {
    await client.sendEvent(new device.Message(JSON.stringify({ faces: 2 })))
    const events = await eventually(async () => {
      const r = await rest(th, 'GET', '/events/messages?deviceId=gw&moduleId=detector&from=earliest')
      const e = (r.body as { events: { moduleId: string; systemProperties: Record<string, string> }[] }).events
      return e.length ? e : undefined
    })
    assert.equal(events[0]!.moduleId, 'detector')
    assert.equal(events[0]!.systemProperties.connectionModuleId, 'detector')

    const twin = await client.getTwin()
    await new Promise<void>((ok, fail) => twin.properties.reported.update({ model: 'tiny' }, (e?: Error) => (e ? fail(e) : ok())))
    assert.equal((await registry.getModuleTwin('gw', 'detector')).responseBody.properties.reported.model, 'tiny')
    const changed = once<number>(twin, 'properties.desired.threshold')
    await registry.updateModuleTwin('gw', 'detector', { properties: { desired: { threshold: 0.7 } } }, '*')
    assert.equal(await changed, 0.7)

    client.onMethod('status', (_req, res) => void res!.send(200, { ok: true }))
    const r = await eventually(async () => {
      try {
        return await serviceClientOf(th).invokeDeviceMethod('gw', 'detector', { methodName: 'status', payload: {}, responseTimeoutInSeconds: 5 })
      } catch {
        return undefined
      }
    })
    assert.deepEqual(r.result.payload, { ok: true })
    // The device itself is not listening for methods: invoking it fails with DeviceNotOnline (404).
    await assert.rejects(serviceClientOf(th).invokeDeviceMethod('gw', { methodName: 'status', payload: {}, responseTimeoutInSeconds: 5 }),
      (err: Error & { responseBody?: string }) => /ErrorCode:DeviceNotOnline;device 'gw' is not online/.test(String(err.responseBody)))
  } finally {
    await client.close()
  }
})
