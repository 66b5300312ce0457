import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { QueryParseError } from './errors.js'
import { runTwinQuery } from './run-twin-query.js'
import { parseTwinQuery } from './twin-query.js'

function fails(sql: string, message: string): void {
  assert.throws(() => parseTwinQuery(sql), (err: unknown) => {
    assert.ok(err instanceof QueryParseError, `not a QueryParseError: ${String(err)}`)
    assert.equal(err.message, message)
    return true
  })
}

const devices = [
  { deviceId: 'd1', status: 'enabled', connectionState: 'Connected', capabilities: { iotEdge: true }, tags: { city: 'Paris', floor: 1 }, properties: { desired: {}, reported: { temp: 20, fw: '1.0' } } },
  { deviceId: 'd2', status: 'enabled', connectionState: 'Disconnected', capabilities: { iotEdge: false }, tags: { city: 'Lyon', floor: 2 }, properties: { desired: {}, reported: { temp: 30, fw: '1.0' } } },
  { deviceId: 'd3', status: 'disabled', connectionState: 'Disconnected', capabilities: { iotEdge: false }, tags: { city: 'Paris' }, properties: { desired: {}, reported: { fw: '2.0' } } },
  { deviceId: 'd4', status: 'enabled', connectionState: 'Connected', capabilities: { iotEdge: false }, tags: {}, properties: { desired: {}, reported: { temp: 'hot' } } },
]
const modules = [
  { deviceId: 'd1', moduleId: 'camera', properties: { reported: { status: 'scanning' } } },
  { deviceId: 'd1', moduleId: '$edgeAgent', properties: { reported: {} } },
  { deviceId: 'd2', moduleId: 'camera', properties: { reported: { status: 'idle' } } },
]
const run = (sql: string, rows: Record<string, unknown>[] = devices) => runTwinQuery(parseTwinQuery(sql), rows)
const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r['deviceId'])

describe('parseTwinQuery', () => {
  test('SELECT * FROM devices, with keywords in any case', () => {
    assert.deepEqual(parseTwinQuery('SELECT * FROM devices'), { from: 'devices', select: { kind: 'all' } })
    assert.deepEqual(parseTwinQuery('select * from Devices.Modules'), { from: 'devices.modules', select: { kind: 'all' } })
    assert.deepEqual(parseTwinQuery("select top 5 * from devices where tags.a = 'x'"), {
      from: 'devices',
      select: { kind: 'all' },
      top: 5,
      where: { kind: 'binary', op: '=', left: { kind: 'path', segments: ['tags', 'a'] }, right: { kind: 'literal', value: 'x' } },
    })
  })

  test('projections name columns by their last segment unless aliased', () => {
    const q = parseTwinQuery('SELECT deviceId, tags.location AS loc, properties.reported.temp FROM devices')
    assert.deepEqual(q.select, {
      kind: 'items',
      items: [
        { kind: 'property', path: { kind: 'path', segments: ['deviceId'] }, alias: 'deviceId' },
        { kind: 'property', path: { kind: 'path', segments: ['tags', 'location'] }, alias: 'loc' },
        { kind: 'property', path: { kind: 'path', segments: ['properties', 'reported', 'temp'] }, alias: 'temp' },
      ],
    })
  })

  test('aggregates and GROUP BY', () => {
    const q = parseTwinQuery('SELECT tags.city, COUNT() AS n, AVG(properties.reported.temp), max(tags.floor) FROM devices WHERE status = \'enabled\' GROUP BY tags.city')
    assert.deepEqual(q.select, {
      kind: 'items',
      items: [
        { kind: 'property', path: { kind: 'path', segments: ['tags', 'city'] }, alias: 'city' },
        { kind: 'aggregate', fn: 'COUNT', alias: 'n' },
        { kind: 'aggregate', fn: 'AVG', arg: { kind: 'path', segments: ['properties', 'reported', 'temp'] }, alias: '$1' },
        { kind: 'aggregate', fn: 'MAX', arg: { kind: 'path', segments: ['tags', 'floor'] }, alias: '$2' },
      ],
    })
    assert.deepEqual(q.groupBy, [{ kind: 'path', segments: ['tags', 'city'] }])
    assert.ok(q.where)
  })

  test('errors', () => {
    fails('', 'at position 0: expected SELECT but found end of input')
    fails('DELETE FROM devices', "at position 0: expected SELECT but found 'DELETE'")
    fails('SELECT', 'at position 6: expected *, a property path or an aggregate (COUNT, SUM, AVG, MIN, MAX) after SELECT but found end of input')
    fails('SELECT FROM devices', "at position 7: expected *, a property path or an aggregate (COUNT, SUM, AVG, MIN, MAX) after SELECT but found 'FROM'")
    fails('SELECT a, FROM devices', "at position 10: expected a property path or an aggregate (COUNT, SUM, AVG, MIN, MAX) after ',' but found 'FROM'")
    fails('SELECT * devices', "at position 9: expected FROM after SELECT * but found 'devices'")
    fails('SELECT a b FROM devices', "at position 9: expected ',' or FROM after the SELECT list but found 'b'")
    fails('SELECT * FROM', "at position 13: expected 'devices' or 'devices.modules' after FROM but found end of input")
    fails('SELECT * FROM devices.jobs', "at position 14: expected 'devices' or 'devices.modules' after FROM but found 'devices.jobs'")
    fails('SELECT * FROM twins', "at position 14: expected 'devices' or 'devices.modules' after FROM but found 'twins'")
    fails('SELECT * FROM devices.', "at position 22: expected 'devices' or 'devices.modules' after FROM (a name after '.') but found end of input")
    fails('SELECT * FROM devices x', "at position 22: expected WHERE, GROUP BY or end of input but found 'x'")
    fails('SELECT * FROM devices WHERE', 'at position 27: expected an expression but found end of input')
    fails("SELECT * FROM devices WHERE a = 'x' ORDER BY a", "at position 36: expected GROUP BY or end of input but found 'ORDER'")
    fails('SELECT * FROM devices WHERE IS_DEFINED(a WHERE', "at position 41: expected ')' after function arguments but found 'WHERE'")
    fails('SELECT * FROM devices WHERE STARTSWITH(a)', 'at position 28: expected 2 arguments to STARTSWITH but found 1')
    fails('SELECT * FROM devices WHERE nope(a)', "at position 28: expected a known function but found 'nope'")
    fails("SELECT * FROM devices WHERE a = 'x", "at position 34: expected a closing quote (') for the string started at position 32 but found end of input")
    fails('SELECT * FROM devices WHERE COUNT() > 1', "at position 28: expected a scalar function (aggregates such as COUNT are only allowed in SELECT) but found 'COUNT'")
    fails('SELECT TOP x * FROM devices', "at position 11: expected a whole number after TOP but found 'x'")
    fails('SELECT TOP 1.5 * FROM devices', "at position 11: expected a whole number after TOP but found '1.5'")
    fails('SELECT LOWER(deviceId) FROM devices', "at position 7: expected a property path or an aggregate (COUNT, SUM, AVG, MIN, MAX): scalar functions are not allowed in SELECT but found 'LOWER'")
    fails('SELECT COUNT(*) FROM devices', "at position 13: expected ')': COUNT takes no arguments but found '*'")
    fails('SELECT SUM() FROM devices', "at position 11: expected an argument to SUM but found ')'")
    fails('SELECT SUM(a b) FROM devices', "at position 13: expected ')' after the argument to SUM but found 'b'")
    fails('SELECT a AS FROM devices', "at position 17: expected ',' or FROM after the SELECT list but found 'devices'")
    fails("SELECT a AS 'x' FROM devices", "at position 12: expected a column name after AS but found string 'x'")
    fails('SELECT tags.x, properties.x FROM devices', "at position 15: expected a column name not already used in this SELECT (rename with AS) but found 'x'")
    fails('SELECT a AS n, b AS n FROM devices', "at position 20: expected a column name not already used in this SELECT (rename with AS) but found 'n'")
    fails('SELECT deviceId, COUNT() FROM devices', "at position 7: expected an aggregate (or GROUP BY deviceId) but found 'deviceId'")
    fails('SELECT deviceId, COUNT() FROM devices GROUP BY tags.city', "at position 7: expected a GROUP BY property or an aggregate but found 'deviceId'")
    fails('SELECT * FROM devices GROUP BY tags.city', "at position 22: expected a SELECT list rather than * with GROUP BY but found '*' at position 7")
    fails('SELECT COUNT() FROM devices GROUP tags.city', "at position 34: expected BY after GROUP but found 'tags'")
    fails('SELECT COUNT() FROM devices GROUP BY', 'at position 36: expected a property path after GROUP BY but found end of input')
    fails('SELECT COUNT() FROM devices GROUP BY a b', "at position 39: expected ',' or end of input but found 'b'")
  })
})

describe('runTwinQuery', () => {
  test('SELECT * filters and returns the twins themselves', () => {
    assert.deepEqual(ids(run('SELECT * FROM devices')), ['d1', 'd2', 'd3', 'd4'])
    assert.deepEqual(ids(run("SELECT * FROM devices WHERE tags.city = 'Paris'")), ['d1', 'd3'])
    assert.deepEqual(ids(run('SELECT * FROM devices WHERE properties.reported.temp > 25')), ['d2'])
    assert.deepEqual(ids(run('SELECT * FROM devices WHERE capabilities.iotEdge = true')), ['d1'])
    assert.deepEqual(ids(run("SELECT * FROM devices WHERE connectionState = 'Connected' AND status = 'enabled'")), ['d1', 'd4'])
    assert.deepEqual(ids(run("SELECT * FROM devices WHERE tags.city IN ['Lyon', 'Nice'] OR NOT IS_DEFINED(tags.city)")), ['d2', 'd4'])
    assert.deepEqual(ids(run("SELECT * FROM devices WHERE tags.city NIN ['Paris']")), ['d2'])
    assert.deepEqual(ids(run('SELECT * FROM devices WHERE IS_NUMBER(properties.reported.temp)')), ['d1', 'd2'])
    assert.deepEqual(ids(run("SELECT * FROM devices WHERE STARTSWITH(deviceId, 'd') AND properties.reported.fw != '1.0'")), ['d3'])
    assert.equal(run('SELECT * FROM devices')[0], devices[0])
  })

  test('an undefined condition does not match, even negated', () => {
    assert.deepEqual(ids(run('SELECT * FROM devices WHERE tags.floor != 1')), ['d2'])
    assert.deepEqual(ids(run('SELECT * FROM devices WHERE NOT (tags.floor = 1)')), ['d2'])
  })

  test('devices.modules rows expose moduleId', () => {
    const rows = run("SELECT * FROM devices.modules WHERE moduleId = 'camera' AND properties.reported.status = 'scanning'", modules)
    assert.deepEqual(rows, [modules[0]])
    assert.deepEqual(run("SELECT deviceId, moduleId FROM devices.modules WHERE NOT STARTSWITH(moduleId, '$')", modules), [
      { deviceId: 'd1', moduleId: 'camera' },
      { deviceId: 'd2', moduleId: 'camera' },
    ])
  })

  test('projection leaves out properties a twin does not have', () => {
    assert.deepEqual(run('SELECT deviceId, tags.city AS city, properties.reported.temp FROM devices'), [
      { deviceId: 'd1', city: 'Paris', temp: 20 },
      { deviceId: 'd2', city: 'Lyon', temp: 30 },
      { deviceId: 'd3', city: 'Paris' },
      { deviceId: 'd4', temp: 'hot' },
    ])
  })

  test('COUNT without GROUP BY is one row, also over nothing', () => {
    assert.deepEqual(run('SELECT COUNT() AS numberOfDevices FROM devices'), [{ numberOfDevices: 4 }])
    assert.deepEqual(run("SELECT COUNT() AS numberOfDevices FROM devices WHERE status = 'enabled'"), [{ numberOfDevices: 3 }])
    assert.deepEqual(run("SELECT COUNT() FROM devices WHERE status = 'nope'"), [{ $1: 0 }])
    assert.deepEqual(run('SELECT COUNT() AS n FROM devices.modules', modules), [{ n: 3 }])
  })

  test('GROUP BY: one row per group with the group properties and the aggregates', () => {
    assert.deepEqual(run('SELECT tags.city AS city, COUNT() AS numberOfDevices FROM devices GROUP BY tags.city'), [
      { city: 'Paris', numberOfDevices: 2 },
      { city: 'Lyon', numberOfDevices: 1 },
      { numberOfDevices: 1 },
    ])
    // Group properties the SELECT does not name are added under their last segment.
    assert.deepEqual(run("SELECT COUNT() AS n FROM devices WHERE IS_DEFINED(tags.city) GROUP BY tags.city, status"), [
      { n: 1, city: 'Paris', status: 'enabled' },
      { n: 1, city: 'Lyon', status: 'enabled' },
      { n: 1, city: 'Paris', status: 'disabled' },
    ])
    assert.deepEqual(run('SELECT properties.reported.fw, COUNT() AS n FROM devices GROUP BY properties.reported.fw'), [
      { fw: '1.0', n: 2 },
      { fw: '2.0', n: 1 },
      { n: 1 },
    ])
    assert.deepEqual(run("SELECT COUNT() AS n FROM devices WHERE status = 'nope' GROUP BY tags.city"), [])
  })

  test('GROUP BY without aggregates gives the distinct values', () => {
    assert.deepEqual(run('SELECT status FROM devices GROUP BY status'), [{ status: 'enabled' }, { status: 'disabled' }])
  })

  test('SUM, AVG, MIN, MAX consider numbers only', () => {
    assert.deepEqual(run('SELECT SUM(properties.reported.temp) AS s, AVG(properties.reported.temp) AS a, MIN(tags.floor) AS lo, MAX(tags.floor) AS hi FROM devices'), [
      { s: 50, a: 25, lo: 1, hi: 2 },
    ])
    assert.deepEqual(run("SELECT SUM(tags.floor) AS s, AVG(tags.floor) AS a, MIN(tags.floor) AS lo, MAX(tags.floor) AS hi FROM devices WHERE deviceId = 'd4'"), [{ s: 0 }])
    assert.deepEqual(run('SELECT tags.city, SUM(tags.floor * 10) AS s FROM devices GROUP BY tags.city'), [
      { city: 'Paris', s: 10 },
      { city: 'Lyon', s: 20 },
      { s: 0 },
    ])
  })

  test('TOP limits the result', () => {
    assert.deepEqual(ids(run('SELECT TOP 2 * FROM devices')), ['d1', 'd2'])
    assert.deepEqual(run('SELECT TOP 1 status, COUNT() AS n FROM devices GROUP BY status'), [{ status: 'enabled', n: 3 }])
    assert.deepEqual(run('SELECT TOP 0 * FROM devices'), [])
  })
})
