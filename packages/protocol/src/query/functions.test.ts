import assert from 'node:assert/strict'
import { test } from 'node:test'
import { evaluate } from './evaluate.js'
import { FUNCTION_NAMES, lookupFunction } from './functions.js'
import { parseCondition } from './parser.js'
import { twinResolver } from './twin-resolver.js'
import type { QueryValue } from './value.js'

const doc = { s: 'Hello', n: -2.5, b: false, z: null, o: { a: 1 }, a: [1, 2], num: '42', bad: '4x2' }
const ev = (text: string): QueryValue => evaluate(parseCondition(text, { dialect: 'twin' }), twinResolver(doc))

function table(cases: [string, QueryValue][]): void {
  for (const [text, want] of cases) assert.deepEqual(ev(text), want, text)
}

test('type checks see undefined and always answer a boolean', () => {
  const kinds = ['s', 'n', 'b', 'z', 'o', 'a', 'missing'] as const
  const expect: Record<string, readonly string[]> = {
    IS_DEFINED: ['s', 'n', 'b', 'z', 'o', 'a'],
    IS_NULL: ['z'],
    IS_BOOL: ['b'],
    IS_NUMBER: ['n'],
    IS_STRING: ['s'],
    IS_OBJECT: ['o'],
    IS_ARRAY: ['a'],
    IS_PRIMITIVE: ['s', 'n', 'b', 'z'],
  }
  for (const [fn, yes] of Object.entries(expect)) {
    for (const k of kinds) assert.equal(ev(`${fn}(${k})`), yes.includes(k), `${fn}(${k})`)
  }
})

test('string matching is case-sensitive; non-strings give undefined', () => {
  table([
    ["STARTSWITH(s, 'He')", true], ["STARTSWITH(s, 'he')", false], ["starts_with(s, '')", true], ['STARTSWITH(n, 1)', undefined],
    ["ENDSWITH(s, 'llo')", true], ["ends_with(s, 'LLO')", false], ["ENDSWITH(missing, 'x')", undefined],
    ["CONTAINS(s, 'ell')", true], ["contains(s, 'xyz')", false], ["CONTAINS(s, 1)", undefined],
    ["INDEX_OF(s, 'l')", 2], ["INDEX_OF(s, 'q')", -1], ['INDEX_OF(s, n)', undefined],
  ])
})

test('string functions', () => {
  table([
    ['LOWER(s)', 'hello'], ['UPPER(s)', 'HELLO'], ['LOWER(n)', undefined], ['UPPER(missing)', undefined],
    ['LENGTH(s)', 5], ["LENGTH('')", 0], ['LENGTH(a)', undefined],
    ["CONCAT(s, ', ', 'world')", 'Hello, world'], ['CONCAT(s, n)', undefined], ['CONCAT(s, missing)', undefined],
    ['SUBSTRING(s, 1, 3)', 'ell'], ['SUBSTRING(s, 1)', 'ello'], ['SUBSTRING(s, 4, 10)', 'o'], ['SUBSTRING(s, 9)', ''],
    ['SUBSTRING(s, -1)', undefined], ['SUBSTRING(s, 1.5)', undefined], ['SUBSTRING(s, 0, -1)', undefined],
    ["SUBSTRING(s, '1')", undefined], ['SUBSTRING(n, 0)', undefined],
  ])
})

test('math functions; non-numbers and non-finite results give undefined', () => {
  table([
    ['ABS(n)', 2.5], ['CEILING(n)', -2], ['FLOOR(n)', -3], ['EXP(0)', 1], ['SQUARE(n)', 6.25], ['SIGN(n)', -1], ['SIGN(0)', 0],
    ['SQRT(16)', 4], ['SQRT(-1)', undefined], ['POWER(2, 10)', 1024], ['POWER(-8, 0.5)', undefined], ['EXP(1000)', undefined],
    ['ABS(s)', undefined], ['POWER(2, s)', undefined], ['FLOOR(missing)', undefined], ['CEILING(z)', undefined],
  ])
})

test('AS_NUMBER converts numeric strings only', () => {
  table([
    ['AS_NUMBER(num)', 42], ["AS_NUMBER(' -1.5e2 ')", -150], ["AS_NUMBER('.5')", 0.5], ['AS_NUMBER(n)', -2.5],
    ['AS_NUMBER(bad)', undefined], ["AS_NUMBER('')", undefined], ["AS_NUMBER('0x10')", undefined], ["AS_NUMBER('Infinity')", undefined],
    ["AS_NUMBER('1e999')", undefined], ['AS_NUMBER(b)', undefined], ['AS_NUMBER(z)', undefined], ['AS_NUMBER(missing)', undefined],
    ['AS_NUMBER(num) > 40', true],
  ])
})

test('every documented function is known under both spellings', () => {
  const names = ['IS_DEFINED', 'IS_NULL', 'IS_BOOL', 'IS_NUMBER', 'IS_STRING', 'IS_OBJECT', 'IS_ARRAY', 'IS_PRIMITIVE', 'STARTSWITH', 'ENDSWITH',
    'CONTAINS', 'LOWER', 'UPPER', 'LENGTH', 'CONCAT', 'SUBSTRING', 'INDEX_OF', 'ABS', 'CEILING', 'FLOOR', 'EXP', 'POWER', 'SQUARE', 'SIGN', 'SQRT', 'AS_NUMBER']
  assert.deepEqual([...FUNCTION_NAMES].sort(), [...names].sort())
  for (const n of ['starts_with', 'ends_with', 'contains', 'is_defined', 'index_of', 'as_number', 'StartsWith']) assert.ok(lookupFunction(n), n)
  assert.equal(lookupFunction('nope'), undefined)
})
