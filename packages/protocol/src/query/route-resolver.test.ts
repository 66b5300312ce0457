import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Message, SystemProperties } from '../message.js'
import { evaluate, matches } from './evaluate.js'
import { parseCondition } from './parser.js'
import { routeResolver } from './route-resolver.js'
import type { QueryValue } from './value.js'

function message(body: unknown, systemProperties: SystemProperties = { contentType: 'application/json', contentEncoding: 'utf-8' }, properties: Record<string, string> = {}): Message {
  return { body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), systemProperties, properties }
}

const camera = message(
  { temperature: { value: 31.5, unit: 'C' }, faces: 2, tags: ['a', 'b'], nothing: null },
  { contentType: 'application/json', contentEncoding: 'utf-8', connectionDeviceId: 'edge1', connectionModuleId: 'camera', outputName: 'out1' },
  { alert: 'true', level: '3', 'a.b': 'dotted', $outputName: 'app-wins', '$body.faces': 'app-body' },
)

const ev = (text: string, m: Message = camera): QueryValue => evaluate(parseCondition(text, { dialect: 'route' }), routeResolver(m))
const route = (text: string, m: Message = camera): boolean => matches(parseCondition(text, { dialect: 'route' }), routeResolver(m))

describe('routeResolver', () => {
  test('bare identifiers are application properties (strings)', () => {
    assert.equal(ev('alert'), 'true')
    assert.equal(ev('a.b'), 'dotted')
    assert.equal(ev('missing'), undefined)
    assert.equal(ev('constructor'), undefined)
    // No coercion: application properties are strings, so compare them as strings or convert them.
    assert.equal(ev('level > 2'), false)
    assert.equal(ev("level = '3'"), true)
    assert.equal(ev('AS_NUMBER(level) > 2'), true)
  })

  test('$name is the system property unless an application property is literally named $name', () => {
    assert.equal(ev('$connectionModuleId'), 'camera')
    assert.equal(ev('$contentType'), 'application/json')
    assert.equal(ev('$messageId'), undefined)
    assert.equal(ev('$outputName'), 'app-wins')
    assert.equal(ev('{$outputName}'), 'out1')
  })

  test("IoT Edge's $enqueuedTime and $creationTime read enqueuedTimeUtc and creationTimeUtc", () => {
    const m = message({}, { enqueuedTimeUtc: '2024-01-02T03:04:05Z', creationTimeUtc: '2024-01-01T00:00:00Z' })
    assert.equal(ev('$enqueuedTime', m), '2024-01-02T03:04:05Z')
    assert.equal(ev('$enqueuedTimeUtc', m), '2024-01-02T03:04:05Z')
    assert.equal(ev('{$creationTime}', m), '2024-01-01T00:00:00Z')
    assert.equal(ev('$creationTime', message({}, {})), undefined)
  })

  test('$body paths read the JSON body', () => {
    assert.equal(ev('$body.temperature.value'), 31.5)
    assert.equal(ev('$body.tags[1]'), 'b')
    assert.equal(ev('$body.nothing'), null)
    assert.equal(ev('$body.missing.x'), undefined)
    assert.deepEqual(ev('$body.temperature'), { value: 31.5, unit: 'C' })
    assert.equal(ev('IS_OBJECT($body)'), true)
    // An application property named exactly like the body query wins unless escaped.
    assert.equal(ev('$body.faces'), 'app-body')
    assert.equal(ev('{$body.faces}'), 2)
  })

  test('the body is only queried when declared as JSON, and never throws', () => {
    const json = { a: 1 }
    assert.equal(ev('$body.a', message(json)), 1)
    assert.equal(ev('$body.a', message(json, { contentType: 'APPLICATION/JSON' })), 1)
    assert.equal(ev('$body.a', message(json, { contentType: 'application/json', contentEncoding: 'UTF-16' })), undefined) // bytes are utf-8
    assert.equal(ev('$body.a', { body: Buffer.from(JSON.stringify(json), 'utf16le'), systemProperties: { contentType: 'application/json', contentEncoding: 'utf-16' }, properties: {} }), 1)
    assert.equal(ev('$body.a', message(json, { contentType: 'text/plain' })), undefined)
    assert.equal(ev('$body.a', message(json, {})), undefined)
    assert.equal(ev('$body.a', message(json, { contentType: 'application/json', contentEncoding: 'utf-32' })), undefined)
    assert.equal(ev('$body.a', message('{not json', { contentType: 'application/json' })), undefined)
    assert.equal(ev('$body.a', { body: Buffer.from([0xff, 0xfe, 0xfd]), systemProperties: { contentType: 'application/json' }, properties: {} }), undefined)
    assert.equal(ev('$body[0]', message([7, 8])), 7)
  })

  test('the body is parsed once, and only when a condition needs it', () => {
    let reads = 0
    const m = message({ a: 1 })
    const counted: Message = {
      ...m,
      systemProperties: {
        to: 'y',
        get contentType() {
          reads++
          return 'application/json'
        },
      },
    }
    const resolve = routeResolver(counted)
    evaluate(parseCondition("$to = 'x' AND $body.a = 1", { dialect: 'route' }), resolve)
    assert.equal(reads, 0)
    evaluate(parseCondition('$body.a = 1 AND $body.b = 1', { dialect: 'route' }), resolve)
    assert.equal(reads, 1)
  })
})

describe('route conditions end to end', () => {
  test('the IoT Edge documentation examples', () => {
    assert.equal(route("$connectionModuleId = 'camera' AND $body.faces > 0"), false) // $body.faces is the app property here
    assert.equal(route("$connectionModuleId = 'camera' AND {$body.faces} > 0"), true)
    assert.equal(route('NOT IS_DEFINED($connectionModuleId)'), false)
    assert.equal(route('NOT IS_DEFINED($connectionModuleId)', message({}, { connectionDeviceId: 'leaf' })), true)
    assert.equal(route("$body.temperature.value > 30 AND $contentType = 'application/json'"), true)
    assert.equal(route("$body.temperature.unit = 'c'"), false)
    assert.equal(route("LOWER($body.temperature.unit) = 'c'"), true)
    assert.equal(route("alert = 'true' OR level = '5'"), true)
    assert.equal(route("starts_with($connectionDeviceId, 'edge') AND ends_with($outputName, 'wins')"), true)
    assert.equal(route("$connectionModuleId || '/' || {$outputName} = 'camera/out1'"), true)
    assert.equal(route("($messageId ?? 'none') = 'none'"), true)
    assert.equal(route('$body.temperature.value * 9 / 5 + 32 >= 88.7'), true)
    assert.equal(route('$body.faces > 0'), false)
  })

  test('a missing property never matches, even negated', () => {
    assert.equal(route("$messageId = 'x'"), false)
    assert.equal(route("NOT ($messageId = 'x')"), false)
    assert.equal(route("$messageId != 'x'"), false)
    assert.equal(route("$messageId != 'x' OR true"), true)
  })
})
