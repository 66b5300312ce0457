/**
 * The device provisioning service against the unmodified Azure provisioning SDK (HTTP and MQTT transports, symmetric
 * key security client): individual enrollments and enrollment groups register, the device then connects to the hub
 * it was assigned with its key and finds its initial twin; disabled enrollments and wrong keys are refused.
 */
import { test, before, after, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import { startTestHub, type TestHub } from '@ledge/testkit'
import { deriveDeviceKey } from '@ledge/protocol'
import { device, deviceMqtt, registryOf, rest } from './helpers.js'

const require = createRequire(import.meta.url)
const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device') as typeof import('azure-iot-provisioning-device')
const { Http: ProvisioningHttp } = require('azure-iot-provisioning-device-http') as typeof import('azure-iot-provisioning-device-http')
const { Mqtt: ProvisioningMqtt } = require('azure-iot-provisioning-device-mqtt') as typeof import('azure-iot-provisioning-device-mqtt')
const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key') as typeof import('azure-iot-security-symmetric-key')

type Transport = 'http' | 'mqtt'
type RegistrationResult = { assignedHub: string; deviceId: string; registrationId: string; status: string; substatus?: string }

let th: TestHub
let idScope: string

before(async () => {
  th = await startTestHub({ mqttPort: 8883 })
  const res = await rest(th, 'GET', '/provisioning')
  assert.equal(res.status, 200)
  idScope = (res.body as { idScope: string }).idScope
})
after(async () => {
  await th?.close()
})

function register(transport: Transport, registrationId: string, key: string, scope = idScope): Promise<RegistrationResult> {
  const security = new SymmetricKeySecurityClient(registrationId, key)
  const t = transport === 'http' ? new ProvisioningHttp() : new ProvisioningMqtt()
  const client = ProvisioningDeviceClient.create(th.host, scope, t, security as never)
  return client.register() as unknown as Promise<RegistrationResult>
}

/** Connects with what registration returned, as a device would: assigned hub, device id, key. */
async function connectAssigned(result: RegistrationResult, key: string): Promise<import('azure-iot-device').Client> {
  const client = device.Client.fromConnectionString(`HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=${key}`, deviceMqtt.Mqtt)
  await client.setOptions({ ca: th.caPem })
  await client.open()
  return client
}

async function putEnrollment(registrationId: string, body: Record<string, unknown>): Promise<{ attestation: { symmetricKey: { primaryKey: string } } }> {
  const res = await rest(th, 'PUT', `/enrollments/${registrationId}`, { registrationId, attestation: { type: 'symmetricKey' }, ...body })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body as { attestation: { symmetricKey: { primaryKey: string } } }
}

test('the id scope is generated once in Azure\'s shape', () => {
  assert.match(idScope, /^0ne[0-9A-F]{8}$/)
})

for (const transport of ['http', 'mqtt'] as const) {
  describe(`${transport}`, () => {
    test('an individual enrollment registers; the device connects to the assigned hub and has its initial twin', async () => {
      const regId = `ind-${transport}`
      const enrollment = await putEnrollment(regId, {
        initialTwin: { tags: { site: 'lyon', tier: 2 }, properties: { desired: { interval: 30 } } },
        capabilities: { iotEdge: transport === 'mqtt' },
      })
      const key = enrollment.attestation.symmetricKey.primaryKey
      const result = await register(transport, regId, key)
      assert.equal(result.status, 'assigned')
      assert.equal(result.assignedHub, th.host)
      assert.equal(result.deviceId, regId)
      assert.equal(result.registrationId, regId)

      const client = await connectAssigned(result, key)
      try {
        const twin = await client.getTwin()
        assert.equal((twin.properties.desired as Record<string, unknown>).interval, 30)
      } finally {
        await client.close()
      }
      const serviceTwin = (await registryOf(th).getTwin(regId)).responseBody
      assert.deepEqual(serviceTwin.tags, { site: 'lyon', tier: 2 })
      const dev = (await registryOf(th).get(regId)).responseBody
      assert.equal(dev.capabilities?.iotEdge, transport === 'mqtt')

      // Registering again returns the same assignment and keeps the device.
      const again = await register(transport, regId, key)
      assert.equal(again.deviceId, regId)
      assert.equal(again.assignedHub, th.host)
      const state = await rest(th, 'GET', `/registrations/${regId}`)
      assert.equal(state.status, 200)
      assert.equal((state.body as { deviceId: string }).deviceId, regId)
    })

    test('an enrollment group registers a device with the derived key', async () => {
      const groupId = `group-${transport}`
      const res = await rest(th, 'PUT', `/enrollmentGroups/${groupId}`, {
        enrollmentGroupId: groupId, attestation: { type: 'symmetricKey' }, initialTwin: { tags: { fleet: groupId } },
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      const groupKey = (res.body as { attestation: { symmetricKey: { primaryKey: string } } }).attestation.symmetricKey.primaryKey
      const regId = `sensor-${transport}-01`
      const key = deriveDeviceKey(groupKey, regId)
      const result = await register(transport, regId, key)
      assert.equal(result.deviceId, regId)
      const client = await connectAssigned(result, key)
      await client.close()
      const serviceTwin = (await registryOf(th).getTwin(regId)).responseBody
      assert.deepEqual(serviceTwin.tags, { fleet: groupId })
      const regs = await rest(th, 'GET', `/enrollmentGroups/${groupId}/registrations`)
      assert.deepEqual((regs.body as { registrationId: string }[]).map((r) => r.registrationId), [regId])
    })

    test('a disabled enrollment is refused with a clear error', async () => {
      const regId = `disabled-${transport}`
      const enrollment = await putEnrollment(regId, { provisioningStatus: 'disabled' })
      await assert.rejects(register(transport, regId, enrollment.attestation.symmetricKey.primaryKey), (err: Error & { result?: unknown; responseBody?: string }) => {
        assert.equal(err.name, 'UnauthorizedError')
        // MQTT keeps DPS's error body as err.result, HTTP as err.responseBody (and in the message).
        const body = (transport === 'mqtt' ? err.result : JSON.parse(err.responseBody ?? '{}')) as { message?: string; errorCode?: number }
        assert.match(body.message ?? '', /enrollment 'disabled-.*' is disabled/)
        assert.equal(body.errorCode, 401002)
        return true
      })
      assert.equal((await rest(th, 'GET', `/registrations/${regId}`)).status, 404)
    })

    test('a wrong key is refused', async () => {
      const regId = `wrongkey-${transport}`
      await putEnrollment(regId, {})
      const wrong = Buffer.alloc(32, 7).toString('base64')
      await assert.rejects(register(transport, regId, wrong), (err: Error) => {
        // HTTP: 401 from the register request; MQTT: CONNACK 5 (not authorized).
        if (transport === 'http') assert.equal(err.name, 'UnauthorizedError')
        else assert.match(err.message, /not authorized/i)
        return true
      })
      // Neither is a registration id nobody enrolled, nor a foreign id scope.
      await assert.rejects(register(transport, `nobody-${transport}`, wrong))
      await assert.rejects(register(transport, regId, wrong, '0ne00000000'))
    })
  })
}

test('the derived key is the HMAC-SHA256 of the registration id under the group key, as the Azure samples compute it', () => {
  const groupKey = Buffer.alloc(64, 1).toString('base64')
  // azure-iot-sdk-node provisioning/device/samples: crypto.createHmac('SHA256', Buffer.from(key, 'base64')).update(id, 'utf8').digest('base64')
  const expected = createHmac('SHA256', Buffer.from(groupKey, 'base64')).update('device-01', 'utf8').digest('base64')
  assert.equal(deriveDeviceKey(groupKey, 'device-01'), expected)
})

test('enrollment REST: validation, list, show, delete', async () => {
  const bad = await rest(th, 'PUT', '/enrollments/bad-key', { attestation: { type: 'symmetricKey', symmetricKey: { primaryKey: 'not base64!' } } })
  assert.equal(bad.status, 400)
  const badType = await rest(th, 'PUT', '/enrollments/x509', { attestation: { type: 'x509' } })
  assert.equal(badType.status, 400)
  await putEnrollment('listed-1', {})
  const list = await rest(th, 'GET', '/enrollments')
  assert.ok((list.body as { registrationId: string }[]).some((e) => e.registrationId === 'listed-1'))
  assert.equal((await rest(th, 'DELETE', '/enrollments/listed-1')).status, 204)
  assert.equal((await rest(th, 'GET', '/enrollments/listed-1')).status, 404)
  assert.equal((await rest(th, 'DELETE', '/enrollments/listed-1')).status, 404)
})
