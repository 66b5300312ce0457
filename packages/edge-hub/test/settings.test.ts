/**
 * The edge hub process's settings from its environment: defaults, numbers and choices read, and every problem
 * reported at once, each naming its variable.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readSettings } from '../src/config/settings.js'

const required = {
  IOTEDGE_IOTHUBHOSTNAME: 'hub.local', IOTEDGE_DEVICEID: 'edge1', IOTEDGE_WORKLOADURI: 'unix:///run/workload.sock',
  IOTEDGE_MODULEGENERATIONID: 'g1', EdgeDeviceHostName: 'edge1.local',
}

test('settings: defaults for everything optional', () => {
  const s = readSettings(required)
  assert.equal(s.moduleId, '$edgeHub')
  assert.deepEqual([s.bind, s.mqttPort, s.httpsPort, s.metricsPort, s.metricsBind], ['0.0.0.0', 8883, 443, 9600, '0.0.0.0'])
  assert.deepEqual(s.store, { engine: 'log', maxBytes: 1024 ** 3, fullPolicy: 'backpressure', durability: 'fsync' })
  assert.deepEqual([s.upstreamProtocol, s.logLevel, s.storageFolder], ['Auto', 'info', '/var/lib/ledge/edge-hub'])
  assert.equal(s.upstreamGateway, undefined)
  assert.equal(s.hubApiHost, undefined)
})

test('settings: values read from the environment', () => {
  const s = readSettings({
    ...required, IOTEDGE_GATEWAYHOSTNAME: 'parent:8883', UpstreamProtocol: 'MqttWs', LEDGE_EDGEHUB_MQTT_PORT: '0',
    LEDGE_EDGEHUB_STORE_ENGINE: 'sqlite', LEDGE_EDGEHUB_STORE_MAX_BYTES: '262144', LEDGE_EDGEHUB_STORE_DURABILITY: 'os',
    RuntimeLogLevel: 'debug', LEDGE_EDGEHUB_HUB_API_HOST: 'hub.local:8443',
  })
  assert.deepEqual([s.upstreamGateway, s.upstreamProtocol, s.mqttPort, s.logLevel, s.hubApiHost], ['parent:8883', 'MqttWs', 0, 'debug', 'hub.local:8443'])
  assert.deepEqual(s.store, { engine: 'sqlite', maxBytes: 262144, fullPolicy: 'backpressure', durability: 'os' })
})

test('settings: every problem at once', () => {
  const { IOTEDGE_DEVICEID: _, ...missing } = required
  assert.throws(
    () => readSettings({ ...missing, UpstreamProtocol: 'Amqp', LEDGE_EDGEHUB_MQTT_PORT: '70000', LEDGE_EDGEHUB_HTTPS_PORT: 'x', LEDGE_EDGEHUB_STORE_MAX_BYTES: '1000' }),
    (err: Error) => {
      for (const name of ['IOTEDGE_DEVICEID:', 'UpstreamProtocol: must be Mqtt, MqttWs or Auto', 'LEDGE_EDGEHUB_MQTT_PORT', 'LEDGE_EDGEHUB_HTTPS_PORT', 'LEDGE_EDGEHUB_STORE_MAX_BYTES']) {
        assert.ok(err.message.includes(name), `${name} in ${err.message}`)
      }
      return true
    },
  )
})
