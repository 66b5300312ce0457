import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HubSettingsError, parseHubSettings } from './config.js'

const valid = { dataDir: '/tmp/x', hostName: 'hub.local', bind: '127.0.0.1', httpsPort: 443, mqttPort: 8883, amqpPort: 5671 }

test('valid settings get their defaults', () => {
  const s = parseHubSettings(valid)
  assert.equal(s.retentionHours, 24)
  assert.equal(s.logLevel, 'info')
  assert.deepEqual(s.extraHostNames, [])
})

test('every problem is reported at once, field rules and combinations alike', () => {
  try {
    parseHubSettings({ ...valid, bind: 'everywhere', httpsPort: 70000, hostName: 'bad name', caCertFile: 'ca.pem' })
    assert.fail('must throw')
  } catch (err) {
    assert.ok(err instanceof HubSettingsError)
    assert.deepEqual(err.problems.map((p) => p.split(':')[0]).sort(), ['bind', 'caCertFile', 'hostName', 'httpsPort'])
    assert.match(err.message, /give both --ca-cert and --ca-key/)
  }
})
