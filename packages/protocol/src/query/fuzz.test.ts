/**
 * Property tests with a fixed seed: whatever the input, parsing either succeeds or throws QueryParseError (with a
 * position inside the text), and evaluating whatever parsed never throws. Generated valid queries always parse.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Message } from '../message.js'
import type { Dialect } from './ast.js'
import { QueryParseError } from './errors.js'
import { evaluate } from './evaluate.js'
import { FUNCTION_NAMES } from './functions.js'
import { parseCondition } from './parser.js'
import { routeResolver } from './route-resolver.js'
import { runTwinQuery } from './run-twin-query.js'
import { parseTwinQuery } from './twin-query.js'
import { twinResolver } from './twin-resolver.js'
import { seededRandom } from '../testing/seeded-random.js'

const { random, int, pick } = seededRandom(0x1ed6e)

const twinDoc = {
  deviceId: 'd1', moduleId: 'm1', status: 'enabled', tags: { a: 1, b: 'x', c: [1, 'y', null], d: { e: true } },
  properties: { desired: { x: 1 }, reported: { x: 2.5, s: 'str' } },
}
const rows = [twinDoc, { deviceId: 'd2', tags: { a: 2 } }, { deviceId: 'd3' }]
const msg: Message = {
  body: Buffer.from(JSON.stringify({ a: 1, b: { c: 'x' }, arr: [1, 2] })),
  systemProperties: { contentType: 'application/json', connectionModuleId: 'camera' },
  properties: { a: '1', b: 'x' },
}

/** Runs every entry point on `text`; only QueryParseError may escape the parsers, nothing may escape evaluation. */
function exercise(text: string): { parsed: number } {
  let parsed = 0
  const attempts: (() => void)[] = [
    () => {
      const q = parseTwinQuery(text)
      parsed++
      runTwinQuery(q, rows)
    },
    ...(['twin', 'route'] as const).map((dialect) => () => {
      const e = parseCondition(text, { dialect })
      parsed++
      evaluate(e, twinResolver(twinDoc))
      evaluate(e, routeResolver(msg))
    }),
  ]
  for (const attempt of attempts) {
    try {
      attempt()
    } catch (err) {
      if (!(err instanceof QueryParseError)) assert.fail(`${String(err)} for input ${JSON.stringify(text)}`)
      assert.ok(err.position >= 0 && err.position <= text.length, `position ${err.position} outside ${JSON.stringify(text)}`)
      assert.ok(err.message.startsWith(`at position ${err.position}: expected `))
    }
  }
  return { parsed }
}

test('random character strings only ever raise QueryParseError', () => {
  const alphabet = [..."abcxyzSELECTFROMWHEREdevices.modules$body0123456789 \t\n'\"\\()[]{},.*+-/%=<>!|?&#@:;_~`^", 'é', '😀', '\u0000', '/*', '*/', '0x', 'e+']
  for (let i = 0; i < 3000; i++) {
    const n = int(40)
    let s = ''
    for (let j = 0; j < n; j++) s += pick(alphabet)
    exercise(s)
  }
})

test('token soup only ever raises QueryParseError', () => {
  const vocab = [
    'SELECT', 'select', 'TOP', '5', '*', 'FROM', 'devices', 'devices.modules', 'WHERE', 'GROUP', 'BY', 'AS', 'AND', 'OR', 'NOT', 'IN', 'NIN',
    'COUNT()', 'COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'tags.a', 'tags.b', 'deviceId', 'properties.reported.x', 'tags.c[1]', "tags['d']",
    '$body.a', '{$body.b.c}', '$connectionModuleId', '{$x}', 'a', 'b', 'true', 'false', 'null', 'undefined', "'x'", '"y"', "'it''s'", '0x1F', '1.5e3', '.5', '-1',
    '(', ')', '[', ']', '{', '}', ',', '.', '=', '!=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '||', '??', 'IS_DEFINED(', 'starts_with(',
    'CONCAT(', 'SUBSTRING(', 'ABS(', 'LENGTH(', 'foo(', '#', "'unterminated", '/* c */', '0x', '1e',
  ]
  let parsed = 0
  for (let i = 0; i < 4000; i++) {
    const n = 1 + int(14)
    const parts: string[] = []
    for (let j = 0; j < n; j++) parts.push(pick(vocab))
    parsed += exercise(parts.join(random() < 0.8 ? ' ' : '')).parsed
  }
  assert.ok(parsed > 100, `only ${parsed} soups parsed: the vocabulary is not exercising the evaluator`)
})

/** A random valid expression of bounded depth for a dialect. */
function genExpr(dialect: Dialect, depth: number): string {
  const refs = dialect === 'twin'
    ? ['deviceId', 'tags.a', 'tags.b', 'tags.c[0]', "tags['d'].e", 'properties.reported.x', 'tags.missing']
    : ['a', 'b', 'missing', '$connectionModuleId', '{$contentType}', '$body.a', '$body.b.c', '{$body.arr[1]}']
  const leaves = [...refs, '1', '-2.5', '0x1F', '1e3', "'x'", '"it\'\'s"', 'true', 'false', 'null', 'undefined']
  if (depth <= 0 || random() < 0.25) return pick(leaves)
  const sub = () => genExpr(dialect, depth - 1)
  switch (int(6)) {
    case 0:
      return `${sub()} ${pick(['AND', 'OR', 'and', '=', '!=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '||', '??'])} ${sub()}`
    case 1:
      return `${pick(['NOT ', '-', 'not '])}${sub()}`
    case 2:
      return `(${sub()})`
    case 3:
      // Parenthesised: `x IN [1] || y` is not valid (|| binds tighter than IN, and its left side would be a list).
      return `(${sub()} ${pick(['IN', 'NIN'])} [${Array.from({ length: int(4) }, sub).join(', ')}])`
    case 4: {
      const fn = pick(FUNCTION_NAMES)
      const arity = fn === 'CONCAT' ? 2 + int(3) : fn === 'SUBSTRING' ? 2 + int(2) : ['STARTSWITH', 'ENDSWITH', 'CONTAINS', 'INDEX_OF', 'POWER'].includes(fn) ? 2 : 1
      return `${random() < 0.5 ? fn : fn.toLowerCase()}(${Array.from({ length: arity }, sub).join(', ')})`
    }
    default:
      return pick(leaves)
  }
}

test('generated valid conditions always parse and evaluate', () => {
  for (let i = 0; i < 1500; i++) {
    for (const dialect of ['twin', 'route'] as const) {
      const text = genExpr(dialect, 5)
      let e
      try {
        e = parseCondition(text, { dialect })
      } catch (err) {
        assert.fail(`${dialect} condition ${JSON.stringify(text)} did not parse: ${String(err)}`)
      }
      evaluate(e, dialect === 'twin' ? twinResolver(twinDoc) : routeResolver(msg))
    }
  }
})

test('generated valid twin queries always parse and run', () => {
  const selects = ['*', 'deviceId', 'deviceId, tags.a AS a', 'COUNT() AS n', 'tags.a, COUNT() AS n, SUM(tags.a) AS s']
  for (let i = 0; i < 1000; i++) {
    const select = pick(selects)
    const grouped = select.startsWith('tags.a,') || (select === 'COUNT() AS n' && random() < 0.5)
    const sql = [
      'SELECT', random() < 0.2 ? `TOP ${int(3)}` : '', select, 'FROM', pick(['devices', 'devices.modules']),
      random() < 0.7 ? `WHERE ${genExpr('twin', 4)}` : '', grouped ? 'GROUP BY tags.a' : '',
    ].join(' ')
    let q
    try {
      q = parseTwinQuery(sql)
    } catch (err) {
      assert.fail(`${JSON.stringify(sql)} did not parse: ${String(err)}`)
    }
    const out = runTwinQuery(q, rows)
    assert.ok(Array.isArray(out))
  }
})
