import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Output, cellText, formatRecord, formatTable } from '../src/output.js'
import { formatEventLine, type HubEvent } from '../src/commands/monitor-events.js'
import { queryTable } from '../src/commands/query.js'

test('a table aligns its columns under a dashed rule', () => {
  const rows = [{ id: 'a', n: 1, x: { k: 'v' } }, { id: 'longer-id', n: 22, x: null }]
  const text = formatTable(rows, [{ header: 'Id', get: (r) => r.id }, { header: 'N', get: (r) => r.n }, { header: 'X', get: (r) => r.x }])
  assert.equal(text, ['Id         N   X', '---------  --  ---------', 'a          1   {"k":"v"}', 'longer-id  22'].join('\n') + '\n')
})

test('an empty table still has its header', () => {
  assert.equal(formatTable([], [{ header: 'DeviceId', get: () => '' }]), 'DeviceId\n--------\n')
})

test('long cells are cut in tables but not in records', () => {
  const long = 'x'.repeat(200)
  const table = formatTable([{ v: long }], [{ header: 'V', get: (r) => r.v }])
  assert.ok(table.split('\n')[2]!.endsWith('…'))
  assert.equal(table.split('\n')[2]!.length, 80)
  assert.ok(formatRecord([['V', long]]).includes(long))
})

test('a record aligns labels and leaves out undefined fields', () => {
  assert.equal(formatRecord([['DeviceId', 'd1'], ['Skipped', undefined], ['C2DMessages', 0], ['Null', null]]), 'DeviceId     d1\nC2DMessages  0\nNull\n')
})

test('cells: strings as they are, objects as compact JSON, newlines flattened', () => {
  assert.equal(cellText('a\nb'), 'a b')
  assert.equal(cellText([1, { a: true }]), '[1,{"a":true}]')
  assert.equal(cellText(undefined), '')
  assert.equal(cellText(false), 'false')
})

test('JSON output prints the raw object; table output the formatted one', () => {
  let text = ''
  const w = { write: (s: string) => (text += s) }
  new Output(w, 'json').record({ deviceId: 'd', etag: 'e' }, (d) => [['DeviceId', d.deviceId]])
  assert.deepEqual(JSON.parse(text), { deviceId: 'd', etag: 'e' })
  text = ''
  new Output(w, 'table').record({ deviceId: 'd', etag: 'e' }, (d) => [['DeviceId', d.deviceId]])
  assert.equal(text, 'DeviceId  d\n')
  text = ''
  new Output(w, 'json').note('deleted')
  assert.equal(text, '')
})

test('an event line shows time, origin, offset, body and properties', () => {
  const e: HubEvent = {
    offset: 7, deviceId: 'd1', moduleId: 'm1', enqueuedTimeUtc: '2025-01-01T00:00:00.000Z', systemProperties: {},
    properties: { alert: 'hot' }, body: { t: 21.5 }, bodyEncoding: 'json',
  }
  assert.equal(formatEventLine(e), '2025-01-01T00:00:00.000Z  d1/m1  offset=7  {"t":21.5}  properties={"alert":"hot"}')
  assert.equal(formatEventLine({ ...e, moduleId: null, properties: {}, body: 'a\nb', bodyEncoding: 'utf8' }), '2025-01-01T00:00:00.000Z  d1  offset=7  a b')
  assert.equal(formatEventLine({ ...e, moduleId: null, properties: {}, body: 'AAE=', bodyEncoding: 'base64' }), '2025-01-01T00:00:00.000Z  d1  offset=7  base64:AAE=')
})

test('query results: twins get twin columns, projections one column per field', () => {
  const twin = { deviceId: 'd1', status: 'enabled', connectionState: 'Disconnected', tags: { site: 'p' }, properties: { desired: { a: 1, $version: 2 }, reported: { $version: 1 } } }
  const lines = queryTable([twin]).split('\n')
  assert.match(lines[0]!, /^DeviceId\s+Status\s+ConnectionState\s+Tags\s+Desired\s+Reported$/)
  assert.match(lines[2]!, /^d1\s+enabled\s+Disconnected\s+\{"site":"p"\}\s+\{"a":1\}\s+\{\}$/)
  assert.equal(queryTable([{ numberOfDevices: 3 }]), 'numberOfDevices\n---------------\n3\n')
  assert.equal(queryTable([{ deviceId: 'a' }, { deviceId: 'b', x: 1 }]).split('\n')[0], 'deviceId  x')
})
