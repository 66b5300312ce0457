import assert from 'node:assert/strict'
import { test } from 'node:test'
import { QueryParseError } from './errors.js'
import { tokenize } from './lexer.js'

const kinds = (s: string) => tokenize(s).map((t) => [t.kind, t.value])
const value = (s: string) => tokenize(s)[0]!.value

function throwsAt(text: string, position: number, message: string): void {
  assert.throws(() => tokenize(text), (err: unknown) => {
    assert.ok(err instanceof QueryParseError)
    assert.equal(err.position, position)
    assert.equal(err.message, message)
    return true
  })
}

test('identifiers, keywords and punctuation, with positions', () => {
  const toks = tokenize("tags.a_1 >= $body.x")
  assert.deepEqual(toks.map((t) => [t.kind, t.text, t.pos]), [
    ['ident', 'tags', 0], ['punct', '.', 4], ['ident', 'a_1', 5], ['punct', '>=', 9],
    ['ident', '$body', 12], ['punct', '.', 17], ['ident', 'x', 18], ['eof', '', 19],
  ])
})

test('all operators lex longest-first', () => {
  assert.deepEqual(kinds('!= <> <= >= || ?? ( ) [ ] { } , . * / % + - = < >').slice(0, -1).map((k) => k[1]),
    ['!=', '<>', '<=', '>=', '||', '??', '(', ')', '[', ']', '{', '}', ',', '.', '*', '/', '%', '+', '-', '=', '<', '>'])
  assert.deepEqual(kinds('a<=b'), [['ident', 'a'], ['punct', '<='], ['ident', 'b'], ['eof', '']])
})

test('unicode identifiers', () => {
  assert.deepEqual(kinds('tags.température'), [['ident', 'tags'], ['punct', '.'], ['ident', 'température'], ['eof', '']])
})

test('numbers: integers, hex, reals, exponents; the sign is not part of the literal', () => {
  assert.equal(value('42'), 42)
  assert.equal(value('0x1F'), 31)
  assert.equal(value('0XfF'), 255)
  assert.equal(value('1.5'), 1.5)
  assert.equal(value('.5'), 0.5)
  assert.equal(value('1.5e3'), 1500)
  assert.equal(value('2E-3'), 0.002)
  assert.equal(value('1e+2'), 100)
  assert.deepEqual(kinds('-1'), [['punct', '-'], ['number', 1], ['eof', '']])
  // `1.` is the number 1 followed by a dot (reals need a digit after the point).
  assert.deepEqual(kinds('1.x'), [['number', 1], ['punct', '.'], ['ident', 'x'], ['eof', '']])
})

test('strings: both quotes, doubled quotes, backslash escapes', () => {
  assert.equal(value("'abc'"), 'abc')
  assert.equal(value('"abc"'), 'abc')
  assert.equal(value("'it''s'"), "it's")
  assert.equal(value('"say ""hi"""'), 'say "hi"')
  assert.equal(value("'it\\'s'"), "it's")
  assert.equal(value("'a\\\"b\\\\c\\/d'"), 'a"b\\c/d')
  assert.equal(value("'\\n\\r\\t\\b\\f'"), '\n\r\t\b\f')
  assert.equal(value("'\\u00e9\\u0041'"), 'éA')
  assert.equal(value('"it\'s"'), "it's")
  assert.equal(value("''"), '')
  assert.equal(tokenize("'a''b'")[0]!.text, "'a''b'")
})

test('comments and whitespace are skipped', () => {
  assert.deepEqual(kinds(' a /* x */ /\n\tb '), [['ident', 'a'], ['punct', '/'], ['ident', 'b'], ['eof', '']])
})

test('unknown characters become tokens for the parser to report', () => {
  assert.deepEqual(kinds('a # b ! c & 😀'), [
    ['ident', 'a'], ['unknown', '#'], ['ident', 'b'], ['unknown', '!'], ['ident', 'c'], ['unknown', '&'], ['unknown', '😀'], ['eof', ''],
  ])
})

test('lexical errors', () => {
  throwsAt("x = 'abc", 8, "at position 8: expected a closing quote (') for the string started at position 4 but found end of input")
  throwsAt('x = "abc', 8, 'at position 8: expected a closing double quote (") for the string started at position 4 but found end of input')
  throwsAt("'abc\\", 5, "at position 5: expected a closing quote (') for the string started at position 0 but found end of input")
  throwsAt("'a\\qb'", 2, "at position 2: expected an escape sequence (\\' \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX) but found '\\q'")
  throwsAt("'\\u12'", 1, "at position 1: expected an escape sequence (\\' \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX) but found '\\u'")
  throwsAt('0x', 2, "at position 2: expected hex digits after '0x' but found end of input")
  throwsAt('0xg', 2, "at position 2: expected hex digits after '0x' but found 'g'")
  throwsAt('1e', 2, 'at position 2: expected digits in the exponent but found end of input')
  throwsAt('1e+x', 3, "at position 3: expected digits in the exponent but found 'x'")
  throwsAt('1e999', 0, "at position 0: expected a number within the range of a double but found '1e999'")
  throwsAt('a /* b', 6, "at position 6: expected '*/' to close the comment started at position 2 but found end of input")
})
