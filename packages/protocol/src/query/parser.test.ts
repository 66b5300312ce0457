import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Expr } from './ast.js'
import { QueryParseError } from './errors.js'
import { MAX_DEPTH, parseCondition } from './parser.js'

const twin = (s: string) => parseCondition(s, { dialect: 'twin' })
const route = (s: string) => parseCondition(s, { dialect: 'route' })

/** A compact S-expression rendering, to make precedence visible. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'literal':
      return e.value === undefined ? 'undefined' : JSON.stringify(e.value)
    case 'path':
      return e.segments.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('.').replace(/\.\[/g, '[')
    case 'prop':
      return `prop:${e.name}`
    case 'sysprop':
      return `${e.escaped ? '{sys}' : 'sys'}:${e.name}`
    case 'body':
      return `${e.escaped ? '{body}' : 'body'}:${e.segments.join('/')}`
    case 'unary':
      return `(${e.op} ${show(e.operand)})`
    case 'binary':
      return `(${e.op} ${show(e.left)} ${show(e.right)})`
    case 'in':
      return `(${e.negated ? 'NIN' : 'IN'} ${show(e.operand)} [${e.list.map(show).join(' ')}])`
    case 'call':
      return `${e.name}(${e.args.map(show).join(' ')})`
  }
}

function fails(f: () => unknown, message: string): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof QueryParseError, `not a QueryParseError: ${String(err)}`)
    assert.equal(err.message, message)
    return true
  })
}

describe('expressions (both dialects)', () => {
  test('precedence, loosest first: ?? OR AND NOT equality relational additive multiplicative unary', () => {
    assert.equal(show(twin('a ?? b OR c')), '(?? a (OR b c))')
    assert.equal(show(twin('a OR b AND c')), '(OR a (AND b c))')
    assert.equal(show(twin('NOT a = 1 AND b')), '(AND (NOT (= a 1)) b)')
    assert.equal(show(twin('a = b < c')), '(= a (< b c))')
    assert.equal(show(twin('a < b + c')), '(< a (+ b c))')
    assert.equal(show(twin('a + b * c')), '(+ a (* b c))')
    assert.equal(show(twin('a || b * c')), '(|| a (* b c))')
    assert.equal(show(twin('-a * b')), '(* (- a) b)')
    assert.equal(show(twin('(a + b) * c')), '(* (+ a b) c)')
    assert.equal(show(twin('a + b IN [1]')), '(IN (+ a b) [1])')
    assert.equal(show(twin('x = NOT y')), '(= x (NOT y))')
  })

  test('binary operators are left-associative', () => {
    assert.equal(show(twin('a - b - c')), '(- (- a b) c)')
    assert.equal(show(twin('a / b % c')), '(% (/ a b) c)')
    assert.equal(show(twin('a AND b AND c')), '(AND (AND a b) c)')
    assert.equal(show(twin('a ?? b ?? c')), '(?? (?? a b) c)')
  })

  test('every operator, with <> read as !=', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '||', '??']) {
      assert.equal(show(twin(`a ${op} b`)), `(${op} a b)`)
    }
    assert.equal(show(twin('a <> b')), '(!= a b)')
    assert.equal(show(twin('a and b or not c')), '(OR (AND a b) (NOT c))')
  })

  test('IN and NIN take a bracketed list of expressions', () => {
    assert.equal(show(twin("tags.city IN ['a', 'b']")), '(IN tags.city ["a" "b"])')
    assert.equal(show(twin('x nin [1, -2, 1 + 1]')), '(NIN x [1 -2 (+ 1 1)])')
    assert.equal(show(twin('x IN []')), '(IN x [])')
    assert.equal(show(route("a IN ['x']")), '(IN prop:a ["x"])')
  })

  test('literals: numbers, strings, true/false/null/undefined; negative numbers fold', () => {
    assert.deepEqual(twin('0x1F'), { kind: 'literal', value: 31 })
    assert.deepEqual(twin('-1.5e3'), { kind: 'literal', value: -1500 })
    assert.deepEqual(twin("'x'"), { kind: 'literal', value: 'x' })
    assert.deepEqual(twin('TRUE'), { kind: 'literal', value: true })
    assert.deepEqual(twin('False'), { kind: 'literal', value: false })
    assert.deepEqual(twin('null'), { kind: 'literal', value: null })
    assert.deepEqual(twin('UNDEFINED'), { kind: 'literal', value: undefined })
    assert.deepEqual(route('true'), { kind: 'literal', value: true })
    assert.deepEqual(route('undefined'), { kind: 'literal', value: undefined })
    // In routes the literal words are lowercase (as in IoT Edge); `TRUE` is an application property.
    assert.deepEqual(route('TRUE'), { kind: 'prop', name: 'TRUE' })
  })

  test('function names are case-insensitive and ignore underscores; calls use the canonical name', () => {
    assert.equal(show(twin('is_defined(a)')), 'IS_DEFINED(a)')
    assert.equal(show(twin('STARTSWITH(a, "x")')), 'STARTSWITH(a "x")')
    assert.equal(show(route("starts_with($to, 'x')")), 'STARTSWITH(sys:to "x")')
    assert.equal(show(route('ends_with(a, b)')), 'ENDSWITH(prop:a prop:b)')
    assert.equal(show(twin('Index_Of(a, b)')), 'INDEX_OF(a b)')
    assert.equal(show(twin('concat(a, b, c, d)')), 'CONCAT(a b c d)')
    assert.equal(show(twin('substring(a, 1)')), 'SUBSTRING(a 1)')
  })
})

describe('twin dialect references', () => {
  test('dotted paths, array indexes and quoted names; keywords are fine after a dot', () => {
    assert.deepEqual(twin('properties.reported.temp'), { kind: 'path', segments: ['properties', 'reported', 'temp'] })
    assert.deepEqual(twin("tags['odd-name'].list[2]"), { kind: 'path', segments: ['tags', 'odd-name', 'list', 2] })
    assert.deepEqual(twin('tags.from.select'), { kind: 'path', segments: ['tags', 'from', 'select'] })
    assert.deepEqual(twin('properties.desired.$version'), { kind: 'path', segments: ['properties', 'desired', '$version'] })
  })
})

describe('route dialect references', () => {
  test('bare identifiers are application properties (dots belong to the name)', () => {
    assert.deepEqual(route('faces'), { kind: 'prop', name: 'faces' })
    assert.deepEqual(route('a.b'), { kind: 'prop', name: 'a.b' })
  })

  test('$name is a system property, $body… a body query, {…} escapes them', () => {
    assert.deepEqual(route('$connectionModuleId'), { kind: 'sysprop', name: 'connectionModuleId', escaped: false, text: '$connectionModuleId' })
    assert.deepEqual(route('{$contentType}'), { kind: 'sysprop', name: 'contentType', escaped: true, text: '$contentType' })
    assert.deepEqual(route('$body.temperature.value'), { kind: 'body', segments: ['temperature', 'value'], escaped: false, text: '$body.temperature.value' })
    assert.deepEqual(route('$BODY.a[0]'), { kind: 'body', segments: ['a', 0], escaped: false, text: '$BODY.a[0]' })
    assert.deepEqual(route('{ $body.a }'), { kind: 'body', segments: ['a'], escaped: true, text: '$body.a' })
    assert.deepEqual(route('$body'), { kind: 'body', segments: [], escaped: false, text: '$body' })
  })

  test('the example conditions of the IoT Edge documentation parse', () => {
    assert.equal(show(route("$connectionModuleId = 'camera' AND faces > 0")), '(AND (= sys:connectionModuleId "camera") (> prop:faces 0))')
    assert.equal(show(route('NOT IS_DEFINED($connectionModuleId)')), '(NOT IS_DEFINED(sys:connectionModuleId))')
    assert.equal(show(route("$body.temperature.value > 30 AND $contentType = 'application/json'")),
      '(AND (> body:temperature/value 30) (= sys:contentType "application/json"))')
  })
})

describe('parse errors', () => {
  const cases: [string, 'twin' | 'route', string][] = [
    ['', 'twin', 'at position 0: expected an expression but found end of input'],
    ['   ', 'route', 'at position 3: expected an expression but found end of input'],
    ['a = 1 b', 'twin', "at position 6: expected end of input but found 'b'"],
    ['a = ', 'twin', 'at position 4: expected an expression but found end of input'],
    ['a = #', 'twin', "at position 4: expected an expression but found '#'"],
    ['(a = 1', 'twin', "at position 6: expected ')' to close the '(' at position 0 but found end of input"],
    ['a = 1)', 'twin', "at position 5: expected end of input but found ')'"],
    ['foo(1)', 'twin', "at position 0: expected a known function but found 'foo'"],
    ['COUNT()', 'twin', "at position 0: expected a scalar function (aggregates such as COUNT are only allowed in SELECT) but found 'COUNT'"],
    ['IS_DEFINED(a, b)', 'twin', 'at position 0: expected 1 argument to IS_DEFINED but found 2'],
    ['x = SUBSTRING(a)', 'twin', 'at position 4: expected 2 or 3 arguments to SUBSTRING but found 1'],
    ['CONCAT(a)', 'twin', 'at position 0: expected at least 2 arguments to CONCAT but found 1'],
    ['UPPER()', 'route', 'at position 0: expected 1 argument to UPPER but found 0'],
    ['IS_DEFINED(a WHERE', 'twin', "at position 13: expected ')' after function arguments but found 'WHERE'"],
    ['x IN 1', 'twin', "at position 5: expected '[' after IN but found '1'"],
    ['x NIN [1 2]', 'twin', "at position 9: expected ',' or ']' in the NIN list but found '2'"],
    ['a AND OR b', 'twin', "at position 6: expected an expression but found 'OR'"],
    ['WHERE = 1', 'twin', "at position 0: expected an expression but found 'WHERE'"],
    ['tags.', 'twin', "at position 5: expected a property name after '.' but found end of input"],
    ['tags.5', 'twin', "at position 4: expected end of input but found '.5'"],
    ['tags[x]', 'twin', "at position 5: expected an array index or a quoted property name after '[' but found 'x'"],
    ['tags[-1]', 'twin', "at position 5: expected an array index or a quoted property name after '[' but found '-'"],
    ['tags[1.5]', 'twin', "at position 5: expected an array index or a quoted property name after '[' but found '1.5'"],
    ["tags['a'", 'twin', "at position 8: expected ']' after the index but found end of input"],
    ['{$x}', 'twin', "at position 0: expected an expression but found '{'"],
    ['{x}', 'route', "at position 1: expected a $-property such as $contentType after '{' but found 'x'"],
    ['{$x', 'route', "at position 3: expected '}' to close the '{' at position 0 but found end of input"],
    ['$ = 1', 'route', "at position 0: expected a property name after '$' but found '$'"],
    ['a. = 1', 'route', "at position 3: expected a property name after '.' but found '='"],
    ['$x. = 1', 'route', "at position 4: expected a property name after '.' but found '='"],
    ["x = 'abc", 'route', "at position 8: expected a closing quote (') for the string started at position 4 but found end of input"],
    ['a == b', 'twin', "at position 3: expected an expression but found '='"],
  ]
  for (const [text, dialect, message] of cases) {
    test(`${dialect}: ${JSON.stringify(text)}`, () => fails(() => parseCondition(text, { dialect }), message))
  }

  test('errors carry position, expected and found', () => {
    try {
      twin('a = (b')
      assert.fail('should throw')
    } catch (err) {
      assert.ok(err instanceof QueryParseError)
      assert.equal(err.name, 'QueryParseError')
      assert.equal(err.position, 6)
      assert.equal(err.expected, "')' to close the '(' at position 4")
      assert.equal(err.found, 'end of input')
    }
  })

  test('long tokens are shortened in messages', () => {
    fails(() => twin(`1 '${'x'.repeat(100)}'`), `at position 2: expected end of input but found string '${'x'.repeat(36)}...`)
  })

  test(`nesting deeper than ${MAX_DEPTH} is a parse error, not a stack overflow`, () => {
    const n = 100_000
    for (const text of ['('.repeat(n) + '1' + ')'.repeat(n), 'NOT '.repeat(n) + 'a', '-'.repeat(n) + '1', 'ABS('.repeat(n) + '1' + ')'.repeat(n),
      'x IN ['.repeat(n) + '1' + ']'.repeat(n), Array(n).fill('a').join(' AND '), Array(n).fill('1').join(' + ')]) {
      assert.throws(() => twin(text), (err: unknown) => err instanceof QueryParseError && err.expected === `at most ${MAX_DEPTH} levels of nesting`)
    }
    // Within the limit is fine, and wide lists are not deep.
    twin('('.repeat(MAX_DEPTH - 1) + '1' + ')'.repeat(MAX_DEPTH - 1))
    twin(Array(MAX_DEPTH - 1).fill('a').join(' AND '))
    twin(`x IN [${Array(10_000).fill('1').join(',')}]`)
  })
})
