/**
 * The route language end to end: a condition inside a full route, evaluated by matchRoutes against messages.
 * Table-driven over every operator, literal kind, function and property kind.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { SystemProperties } from '../message.js'
import { FUNCTION_NAMES } from '../query/functions.js'
import { matchRoutes } from './match-routes.js'
import { parseRoute } from './parse-route.js'
import { DEFAULT_ROUTE_PRIORITY, type NamedRoute, type RoutableMessage } from './route.js'
import { moduleMessageSource, TELEMETRY_SOURCE } from './source.js'

/** Every system property Ledge knows, set; `Required` makes a new SystemProperties key fail to compile here. */
const SYS: Required<SystemProperties> = {
  messageId: 'mid-1',
  correlationId: 'cid-1',
  userId: 'user-1',
  to: '/devices/edge1/modules/camera/messages/events',
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  expiryTimeUtc: '2030-01-01T00:00:00.000Z',
  creationTimeUtc: '2024-05-01T10:00:00.000Z',
  interfaceId: 'dtmi:ledge:camera;1',
  componentName: 'lens1',
  messageSchema: 'frame-v1',
  outputName: 'frames',
  connectionDeviceId: 'edge1',
  connectionModuleId: 'camera',
  connectionAuthMethod: '{"scope":"module","type":"sas"}',
  enqueuedTimeUtc: '2024-05-01T10:00:01.000Z',
  inputName: 'in1',
}

const BODY = { temperature: { value: 31.5, unit: 'C' }, faces: [{ score: 0.9 }, { score: 0.4 }], count: 2, ok: true, nothing: null, name: 'Front Door' }
const PROPS = { faceCount: '2', level: '3', alert: 'true', 'a.b': 'dotted', $messageId: 'app-shadow', '$body.count': 'app-body' }

function message(over: Partial<RoutableMessage> = {}): RoutableMessage {
  return { source: moduleMessageSource('camera', 'frames'), body: Buffer.from(JSON.stringify(BODY)), systemProperties: SYS, properties: PROPS, ...over }
}

function route(text: string, name = 'r'): NamedRoute {
  return { name, ...parseRoute(text), priority: DEFAULT_ROUTE_PRIORITY, text }
}

/** Whether `FROM /messages/* WHERE <condition> INTO $upstream` takes the message. */
function takes(condition: string, m: RoutableMessage = message()): boolean {
  return matchRoutes([route(`FROM /messages/* WHERE ${condition} INTO $upstream`)], m).length === 1
}

const operators: [condition: string, matches: boolean][] = [
  // literals: only `true` matches
  ['true', true], ['false', false], ['null', false], ['undefined', false], ["'true'", false], ['1', false],
  ['0x1F = 31', true], ['0X1f = 31', true], ['1.5e1 = 15', true], ['.5 = 0.5', true], ['2E-1 = 0.2', true], ['-1 = 0 - 1', true],
  ["'it''s' = \"it's\"", true], ["'a\\'b' = \"a'b\"", true], ["'\\u0041\\n' = 'A\n'", true], ["'' = \"\"", true],
  ['/* a comment */ true', true],
  // comparisons: no coercion; different types are never related; objects compare to nothing
  ['1 = 1', true], ['1 = 2', false], ["'a' = 'a'", true], ["'a' = 'A'", false], ["1 = '1'", false], ["1 != '1'", false],
  ['1 != 2', true], ['1 <> 2', true], ['1 <> 1', false], ['1 < 2', true], ['2 < 1', false], ['2 <= 2', true], ['3 > 2', true],
  ['2 >= 3', false], ["'a' < 'b'", true], ["'B' < 'a'", true], ['false < true', true], ['null = null', true], ['null != 1', false],
  ['$body.temperature = $body.temperature', false], ['IS_DEFINED($body.temperature = 1)', false],
  // arithmetic (numbers only), string concatenation, coalescing
  ['1 + 2 = 3', true], ['5 - 7 = -2', true], ['2 * 3 = 6', true], ['7 / 2 = 3.5', true], ['7 % 4 = 3', true], ['-(2) = -2', true],
  ['- -3 = 3', true], ['IS_DEFINED(1 / 0)', false], ["IS_DEFINED('a' + 'b')", false], ['IS_DEFINED(-level)', false],
  ["'a' || 'b' = 'ab'", true], ["IS_DEFINED('a' || 1)", false], ["$connectionModuleId || '/' || {$outputName} = 'camera/frames'", true],
  ["(missing ?? 'dflt') = 'dflt'", true], ["(level ?? 'dflt') = '3'", true], ['IS_NULL(null ?? 1)', true],
  ["level ?? 'dflt' = '3'", false], // ?? binds loosest: level ?? ('dflt' = '3') is the string '3'
  // logic: three-valued; a missing property never matches, even negated
  ['true AND true', true], ['true AND false', false], ['true OR false', true], ['false OR false', false], ['NOT false', true],
  ['not true', false], ['NOT NOT true', true], ["true OR missing = 'x'", true], ["false OR missing = 'x'", false],
  ["missing = 'x'", false], ["NOT (missing = 'x')", false], ["missing != 'x'", false], ["false AND missing = 'x' OR true", true],
  // IN / NIN
  ["level IN ['1', '3']", true], ["level IN ['1', '2']", false], ["level NIN ['1', '3']", false], ["level NIN ['1']", true],
  ['level IN [3]', false], ["missing IN ['x']", false], ['level in []', false],
  // precedence
  ['1 + 2 * 3 = 7', true], ['(1 + 2) * 3 = 9', true], ['NOT 1 = 2', true], ['true OR false AND false', true],
  ['(true OR false) AND false', false], ["'a' || 'b' = 'ab' AND true", true], ['10 - 4 - 3 = 3', true], ['8 / 4 / 2 = 1', true],
]

const functions: [condition: string, matches: boolean][] = [
  ['IS_DEFINED($body.count)', true], ['is_defined($body.missing)', false], ['IS_NULL($body.nothing)', true], ['IS_NULL(missing)', false],
  ['IS_BOOL($body.ok)', true], ["is_bool('true')", false], ['IS_NUMBER({$body.count})', true], ['IS_NUMBER(faceCount)', false],
  ['IS_STRING(faceCount)', true], ['is_string($body.ok)', false], ['IS_OBJECT($body.temperature)', true], ['IS_OBJECT($body.faces)', false],
  ['IS_ARRAY($body.faces)', true], ['IS_PRIMITIVE($body.name)', true], ['IS_PRIMITIVE($body.faces)', false],
  ["STARTSWITH($connectionModuleId, 'cam')", true], ["starts_with($connectionModuleId, 'Cam')", false], ["ENDS_WITH({$outputName}, 'mes')", true],
  ["endswith('abc', 'b')", false], ["CONTAINS($body.name, 'Door')", true], ["contains($body.name, 'door')", false],
  ["INDEX_OF('abc', 'c') = 2", true], ["index_of('abc', 'x') = -1", true], ["LOWER($body.temperature.unit) = 'c'", true],
  ["UPPER('ab') = 'AB'", true], ['LENGTH($body.name) = 10', true], ["IS_DEFINED(LENGTH(1))", false],
  ["CONCAT('a', 'b', 'c') = 'abc'", true], ["concat($connectionDeviceId, '/', $connectionModuleId) = 'edge1/camera'", true],
  ["IS_DEFINED(CONCAT('a', 1))", false], ["SUBSTRING('hello', 1, 3) = 'ell'", true], ["substring('hello', 3) = 'lo'", true],
  ["SUBSTRING('hello', 9) = ''", true], ['ABS(-2) = 2', true], ['CEILING(1.2) = 2', true], ['FLOOR(1.8) = 1', true], ['EXP(0) = 1', true],
  ['SQUARE(3) = 9', true], ['SIGN(-5) = -1', true], ['SQRT(16) = 4', true], ['IS_DEFINED(SQRT(-1))', false], ['POWER(2, 10) = 1024', true],
  ['AS_NUMBER(faceCount) >= 1', true], ["AS_NUMBER(' 2.5e1 ') = 25", true], ["IS_DEFINED(AS_NUMBER('x'))", false],
  ["IS_DEFINED(AS_NUMBER('0x10'))", false], ['AS_NUMBER({$body.count}) = 2', true], ['abs(as_number(level) - 5) = 2', true],
]

const properties: [condition: string, matches: boolean][] = [
  // application properties: bare identifiers, always strings; dots are part of the name
  ["faceCount = '2'", true], ['faceCount = 2', false], ["a.b = 'dotted'", true], ['IS_DEFINED(missing)', false], ['IS_DEFINED(constructor)', false],
  // `$name`: an application property literally named `$name` wins; `{$name}` is the system property only
  ["$messageId = 'app-shadow'", true], ["{$messageId} = 'mid-1'", true], ['IS_DEFINED($nonexistent)', false],
  // IoT Edge's names for the timestamps
  ["$enqueuedTime = '2024-05-01T10:00:01.000Z'", true], ["$creationTime = '2024-05-01T10:00:00.000Z'", true],
  // the body: JSON paths
  ['$body.temperature.value > 30', true], ["$body.temperature.unit = 'C'", true], ['$body.faces[0].score > 0.5', true],
  ['$body.faces[1].score > 0.5', false], ['IS_DEFINED($body.faces[2])', false], ['IS_NULL($body.nothing)', true],
  ["$body.count = 'app-body'", true], ['{$body.count} = 2', true], ['IS_OBJECT($body)', true], ['IS_DEFINED($body.name.first)', false],
]

describe('route conditions: operators and literals', () => {
  for (const [condition, expected] of operators) test(condition, () => assert.equal(takes(condition), expected))
})

describe('route conditions: functions', () => {
  for (const [condition, expected] of functions) test(condition, () => assert.equal(takes(condition), expected))

  test('every built-in function is covered, in either spelling', () => {
    const key = (name: string) => name.toUpperCase().replace(/_/g, '')
    const used = new Set(functions.flatMap(([c]) => [...c.matchAll(/([A-Za-z_]+)\s*\(/g)].map((m) => key(m[1]!))))
    for (const name of FUNCTION_NAMES) assert.ok(used.has(key(name)), `${name} has no row`)
  })
})

describe('route conditions: properties', () => {
  for (const [condition, expected] of properties) test(condition, () => assert.equal(takes(condition), expected))

  test('every system property as $name and {$name}', () => {
    for (const [name, value] of Object.entries(SYS)) {
      const literal = `'${value.replace(/'/g, "''")}'`
      if (name !== 'messageId') assert.ok(takes(`$${name} = ${literal}`), `$${name}`)
      assert.ok(takes(`{$${name}} = ${literal}`), `{$${name}}`)
      assert.ok(!takes(`IS_DEFINED($${name})`, message({ systemProperties: {}, properties: {} })), `$${name} when absent`)
    }
  })

  test('$body needs a JSON content type and utf-8 or utf-16 (utf-8 when absent)', () => {
    const json = JSON.stringify({ a: { b: 7 } })
    const m = (body: Buffer, contentType?: string, contentEncoding?: string) =>
      message({ body, systemProperties: { ...(contentType ? { contentType } : {}), ...(contentEncoding ? { contentEncoding } : {}) }, properties: {} })
    assert.ok(takes('$body.a.b = 7', m(Buffer.from(json), 'application/json', 'utf-8')))
    assert.ok(takes('$body.a.b = 7', m(Buffer.from(json), 'application/json')))
    assert.ok(takes('$body.a.b = 7', m(Buffer.from(json), 'Application/JSON', 'UTF-8')))
    assert.ok(takes('$body.a.b = 7', m(Buffer.from(json, 'utf16le'), 'application/json', 'utf-16')))
    assert.ok(!takes('$body.a.b = 7', m(Buffer.from(json, 'utf16le'), 'application/json', 'utf-8')))
    assert.ok(!takes('IS_DEFINED($body)', m(Buffer.from(json), 'application/json', 'utf-32')))
    assert.ok(!takes('IS_DEFINED($body)', m(Buffer.from(json))))
    assert.ok(!takes('IS_DEFINED($body)', m(Buffer.from(json), 'text/plain')))
    assert.ok(!takes('IS_DEFINED($body)', m(Buffer.from('not json {'), 'application/json')))
    assert.ok(!takes('IS_DEFINED($body)', m(Buffer.from([0xff, 0xfe, 0x00, 0xd8]), 'application/json')))
    assert.ok(!takes('IS_DEFINED($body)', m(Buffer.alloc(0), 'application/json')))
    // Non-JSON bodies still route on properties.
    assert.ok(takes("NOT IS_DEFINED($body) AND {$contentType} = 'application/octet-stream'", m(Buffer.from([1, 2, 3]), 'application/octet-stream')))
  })
})

describe('the leaf-only idiom: WHERE NOT IS_DEFINED($connectionModuleId)', () => {
  const leafOnly = route('FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream')
  const leaf = message({ source: TELEMETRY_SOURCE, systemProperties: { connectionDeviceId: 'thermostat-7', contentType: 'application/json' }, properties: {} })

  test('takes device telemetry', () => assert.deepEqual(matchRoutes([leafOnly], leaf), [leafOnly]))
  test('leaves module messages', () => assert.deepEqual(matchRoutes([leafOnly], message()), []))
  test('an application property named $connectionModuleId does not hide the module (unless escaped it would)', () => {
    const spoof = message({ source: TELEMETRY_SOURCE, systemProperties: { connectionDeviceId: 'd' }, properties: { $connectionModuleId: 'x' } })
    assert.deepEqual(matchRoutes([leafOnly], spoof), [])
    assert.equal(takes('NOT IS_DEFINED({$connectionModuleId})', spoof), true)
  })
})
