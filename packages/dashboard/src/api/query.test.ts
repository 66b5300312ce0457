import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTwinQuery, runTwinQuery } from '@ledge/protocol'
import { devicesCountQuery, devicesQuery, edgeAgentTwinsQuery, FilterError, moduleTwinsQuery, quote } from './query.js'

const twins = [
  { deviceId: 'cam-01', connectionState: 'Connected', capabilities: { iotEdge: true }, tags: { location: 'lobby', floor: 1 } },
  { deviceId: "o'brien", connectionState: 'Disconnected', capabilities: { iotEdge: false }, tags: { location: 'dock' } },
  { deviceId: 'sensor-7', connectionState: 'Connected', capabilities: { iotEdge: false }, tags: { 'odd-name': 'x' } },
]
const ids = (sql: string): string[] => runTwinQuery(parseTwinQuery(sql), twins).map((r) => String(r.deviceId))

test('the filters become twin queries the hub parses and runs', () => {
  assert.deepEqual(ids(devicesQuery({})), ['cam-01', "o'brien", 'sensor-7'])
  assert.deepEqual(ids(devicesQuery({ search: 'cam' })), ['cam-01'])
  assert.deepEqual(ids(devicesQuery({ search: "o'b" })), ["o'brien"])
  assert.deepEqual(ids(devicesQuery({ connected: 'connected' })), ['cam-01', 'sensor-7'])
  assert.deepEqual(ids(devicesQuery({ connected: 'disconnected' })), ["o'brien"])
  assert.deepEqual(ids(devicesQuery({ edge: 'edge' })), ['cam-01'])
  assert.deepEqual(ids(devicesQuery({ edge: 'leaf' })), ["o'brien", 'sensor-7'])
  assert.deepEqual(ids(devicesQuery({ tags: 'location=lobby' })), ['cam-01'])
  assert.deepEqual(ids(devicesQuery({ tags: "location='dock'" })), ["o'brien"])
  assert.deepEqual(ids(devicesQuery({ tags: 'floor=1, location=lobby' })), ['cam-01'])
  assert.deepEqual(ids(devicesQuery({ tags: 'odd-name' })), ['sensor-7'])
  assert.deepEqual(runTwinQuery(parseTwinQuery(devicesCountQuery({ connected: 'connected' })), twins), [{ total: 2 }])
  assert.throws(() => devicesQuery({ tags: '=x' }), FilterError)
})

test('quoting survives quotes and backslashes', () => {
  assert.equal(quote("a'b\\c"), "'a''b\\\\c'")
  parseTwinQuery(moduleTwinsQuery("we'ird\\id"))
  parseTwinQuery(edgeAgentTwinsQuery('cam'))
})
