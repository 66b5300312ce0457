import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseBoolFlag, parseIntFlag, parseJsonFlag, parseJsonObjectFlag, parsePayloadFlag, parsePropsFlag } from '../src/flags.js'
import { CliError, EXIT_USAGE } from '../src/errors.js'

function usageError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof CliError && err.exitCode === EXIT_USAGE && re.test(err.message))
}

test('JSON flags parse, and bad JSON names the flag', () => {
  assert.deepEqual(parseJsonFlag('--desired', '{"a":1}'), { a: 1 })
  usageError(() => parseJsonFlag('--desired', '{a:1}'), /^--desired is not valid JSON: /)
  usageError(() => parseJsonObjectFlag('--tags', '[1]'), /^--tags must be a JSON object/)
  usageError(() => parseJsonObjectFlag('--tags', 'null'), /^--tags must be a JSON object/)
})

test('a method payload is JSON when it parses, else a string; none is null', () => {
  assert.deepEqual(parsePayloadFlag('{"x":[1,2]}'), { x: [1, 2] })
  assert.equal(parsePayloadFlag('42'), 42)
  assert.equal(parsePayloadFlag('hello'), 'hello')
  assert.equal(parsePayloadFlag(undefined), null)
})

test('--props k=v;k2=v2 splits at the first = and skips empty parts', () => {
  assert.deepEqual(parsePropsFlag('--props', 'a=1;b=x=y;;c='), { a: '1', b: 'x=y', c: '' })
  assert.deepEqual(parsePropsFlag('--props', undefined), {})
  usageError(() => parsePropsFlag('--props', 'a=1;oops'), /^--props part 'oops' is not name=value/)
})

test('whole numbers and booleans name the flag when wrong', () => {
  assert.equal(parseIntFlag('--top', '10', { min: 1 }), 10)
  assert.equal(parseIntFlag('--top', undefined), undefined)
  usageError(() => parseIntFlag('--top', '1.5'), /^--top must be a whole number/)
  usageError(() => parseIntFlag('--top', '0', { min: 1 }), /^--top must be at least 1/)
  usageError(() => parseIntFlag('--timeout', '301', { max: 300 }), /^--timeout must be at most 300/)
  assert.equal(parseBoolFlag('--edge-enabled', 'TRUE'), true)
  assert.equal(parseBoolFlag('--edge-enabled', 'no'), false)
  usageError(() => parseBoolFlag('--edge-enabled', 'maybe'), /^--edge-enabled must be true or false/)
})
