import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Resolver } from './ast.js'
import { evaluate, matches } from './evaluate.js'
import { parseCondition } from './parser.js'
import { twinResolver } from './twin-resolver.js'
import type { QueryValue } from './value.js'

const doc = {
  deviceId: 'dev1',
  status: 'enabled',
  tags: { city: 'Paris', floor: 3, ok: true, nothing: null, obj: { a: 1 }, arr: [10, 20], 'odd-name': 'x' },
  properties: { reported: { temp: 31.5 } },
}
const ev = (text: string, d: Record<string, unknown> = doc): QueryValue => evaluate(parseCondition(text, { dialect: 'twin' }), twinResolver(d))

describe('references', () => {
  test('paths read the document case-sensitively; absent is undefined', () => {
    assert.equal(ev('deviceId'), 'dev1')
    assert.equal(ev('tags.city'), 'Paris')
    assert.equal(ev('Tags.city'), undefined)
    assert.equal(ev('tags.missing.deeper'), undefined)
    assert.equal(ev('tags.arr[1]'), 20)
    assert.equal(ev('tags.arr[2]'), undefined)
    assert.equal(ev("tags['odd-name']"), 'x')
    assert.deepEqual(ev('tags.obj'), { a: 1 })
  })

  test('inherited properties are not visible', () => {
    assert.equal(ev('tags.constructor'), undefined)
    assert.equal(ev('tags.__proto__'), undefined)
    assert.equal(ev('tags.arr.length'), undefined)
    assert.equal(ev('deviceId.length'), undefined)
  })

  test('a custom resolver cannot leak non-JSON values', () => {
    const odd: Resolver = () => NaN
    assert.equal(evaluate({ kind: 'path', segments: ['x'] }, odd), undefined)
  })
})

describe('comparison', () => {
  test('numbers compare numerically, strings ordinally and case-sensitively, booleans false < true', () => {
    const cases: [string, QueryValue][] = [
      ['1 = 1', true], ['1 = 1.0', true], ['1 != 2', true], ['1 <> 1', false], ['1 < 2', true], ['2 <= 2', true], ['3 > 2', true], ['2 >= 3', false],
      ["'a' = 'a'", true], ["'a' = 'A'", false], ["'a' != 'A'", true], ["'B' < 'a'", true], ["'abc' >= 'abd'", false],
      ['true = true', true], ['false < true', true], ['true > true', false],
      ['null = null', true], ['null != null', false], ['null < null', false], ['null <= null', true],
      ["tags.city = 'Paris'", true], ['tags.floor > 2', true], ['properties.reported.temp >= 31.5', true],
    ]
    for (const [text, want] of cases) assert.equal(ev(text), want, text)
  })

  test('different types are never related, even by != (no coercion)', () => {
    for (const text of ["1 = '1'", "1 != '1'", "1 < '2'", 'true = 1', 'null = 0', "null != 'x'", "tags.floor = '3'", 'tags.ok = 1']) {
      assert.equal(ev(text), false, text)
    }
  })

  test('anything compared with undefined is undefined', () => {
    for (const text of ['tags.missing = 1', 'tags.missing != 1', '1 < tags.missing', 'undefined = undefined', 'tags.missing = null']) {
      assert.equal(ev(text), undefined, text)
    }
  })

  test('objects and arrays compare to nothing', () => {
    for (const text of ['tags.obj = tags.obj', 'tags.arr != 1', 'tags.obj = null']) assert.equal(ev(text), undefined, text)
  })
})

describe('logic is three-valued', () => {
  // T, F and U (undefined) as expressions.
  const T = '1 = 1'
  const F = '1 = 2'
  const U = 'tags.missing = 1'
  test('AND', () => {
    const table: [string, string, QueryValue][] = [[T, T, true], [T, F, false], [F, T, false], [F, F, false], [T, U, undefined], [U, T, undefined], [F, U, false], [U, F, false], [U, U, undefined]]
    for (const [a, b, want] of table) assert.equal(ev(`(${a}) AND (${b})`), want, `${a} AND ${b}`)
  })
  test('OR', () => {
    const table: [string, string, QueryValue][] = [[T, T, true], [T, F, true], [F, T, true], [F, F, false], [T, U, true], [U, T, true], [F, U, undefined], [U, F, undefined], [U, U, undefined]]
    for (const [a, b, want] of table) assert.equal(ev(`(${a}) OR (${b})`), want, `${a} OR ${b}`)
  })
  test('NOT', () => {
    assert.equal(ev(`NOT (${T})`), false)
    assert.equal(ev(`NOT (${F})`), true)
    assert.equal(ev(`NOT (${U})`), undefined)
  })
  test('non-booleans are unknown operands', () => {
    assert.equal(ev('NOT 1'), undefined)
    assert.equal(ev("'x' AND true"), undefined)
    assert.equal(ev('null OR false'), undefined)
    assert.equal(ev('null OR true'), true)
    assert.equal(ev('tags.ok AND 0 = 0'), true)
  })
  test('AND and OR do not evaluate the right side when the left decides', () => {
    let calls = 0
    const counting: Resolver = () => {
      calls++
      return true
    }
    evaluate(parseCondition('false AND x', { dialect: 'twin' }), counting)
    evaluate(parseCondition('true OR x', { dialect: 'twin' }), counting)
    evaluate(parseCondition('1 ?? x', { dialect: 'twin' }), counting)
    assert.equal(calls, 0)
  })
})

describe('arithmetic, concatenation, coalescing', () => {
  test('arithmetic on numbers', () => {
    const cases: [string, QueryValue][] = [['1 + 2', 3], ['5 - 7', -2], ['6 * 7', 42], ['7 / 2', 3.5], ['7 % 4', 3], ['-tags.floor', -3], ['- -2', 2], ['0x10 + 1.5e1', 31], ['tags.floor * 2 + 1', 7]]
    for (const [text, want] of cases) assert.equal(ev(text), want, text)
  })
  test('arithmetic on anything else, or with a non-finite result, is undefined', () => {
    for (const text of ["1 + '1'", "'a' + 'b'", 'true * 2', 'null - 1', 'tags.missing + 1', '-tags.city', '1 / 0', '0 / 0', '5 % 0', 'tags.obj + 1', '-null']) {
      assert.equal(ev(text), undefined, text)
    }
    assert.equal(ev('1e308 * 10'), undefined)
  })
  test('|| concatenates strings only', () => {
    assert.equal(ev("'ab' || 'cd'"), 'abcd')
    assert.equal(ev("tags.city || '-' || deviceId"), 'Paris-dev1')
    assert.equal(ev("'a' || 1"), undefined)
    assert.equal(ev("tags.missing || 'a'"), undefined)
  })
  test('?? replaces undefined only', () => {
    assert.equal(ev("tags.missing ?? 'dflt'"), 'dflt')
    assert.equal(ev("tags.city ?? 'dflt'"), 'Paris')
    assert.equal(ev("tags.nothing ?? 'dflt'"), null)
    assert.equal(ev('undefined ?? undefined'), undefined)
    assert.equal(ev("(tags.missing ?? 'Paris') = tags.city"), true)
  })
})

describe('IN and NIN', () => {
  test('membership uses = semantics', () => {
    assert.equal(ev("tags.city IN ['London', 'Paris']"), true)
    assert.equal(ev("tags.city IN ['paris']"), false)
    assert.equal(ev("tags.city NIN ['London', 'Paris']"), false)
    assert.equal(ev("tags.city NIN ['London']"), true)
    assert.equal(ev("tags.floor IN ['3']"), false)
    assert.equal(ev('tags.floor IN [1, 1 + 2]'), true)
    assert.equal(ev('tags.floor IN []'), false)
  })
  test('undefined operands or undecidable elements give undefined', () => {
    assert.equal(ev("tags.missing IN ['a']"), undefined)
    assert.equal(ev("tags.missing NIN ['a']"), undefined)
    assert.equal(ev('tags.floor IN [tags.missing]'), undefined)
    assert.equal(ev('tags.floor IN [tags.missing, 3]'), true)
    assert.equal(ev('tags.floor NIN [tags.missing]'), undefined)
  })
})

describe('matches (WHERE semantics)', () => {
  test('only true matches', () => {
    const m = (text: string) => matches(parseCondition(text, { dialect: 'twin' }), twinResolver(doc))
    assert.equal(m("tags.city = 'Paris'"), true)
    assert.equal(m("tags.city = 'London'"), false)
    assert.equal(m('tags.missing = 1'), false)
    assert.equal(m('NOT (tags.missing = 1)'), false)
    assert.equal(m('tags.nothing'), false)
    assert.equal(m('tags.ok'), true)
    assert.equal(m('1'), false)
  })
})
