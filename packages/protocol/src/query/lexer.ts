/**
 * Tokenizer shared by both dialects. Characters it does not know become `unknown` tokens rather than errors, so the
 * parser can report them in context ("expected an expression but found '#'"); only malformed literals (strings,
 * numbers, comments) are reported here.
 */
import { QueryParseError } from './errors.js'

export type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'unknown' | 'eof'

export interface Token {
  kind: TokenKind
  /** The source text of the token (with quotes, for strings). */
  text: string
  /** Identifier or punctuation text, decoded string contents, or numeric value. */
  value: string | number
  /** 0-based offset of the first character. */
  pos: number
}

// Longest first, so `<=` wins over `<`.
const PUNCT = ['!=', '<>', '<=', '>=', '||', '??', '(', ')', '[', ']', '{', '}', ',', '.', '*', '/', '%', '+', '-', '=', '<', '>']

const ID_START = /[\p{L}_$]/u
const ID_PART = /[\p{L}\p{N}_$]/u
const DIGIT = /[0-9]/
const HEX = /[0-9A-Fa-f]/

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "'": "'", '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t',
}

/** How a token is named in error messages. */
export function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'end of input'
  if (t.kind === 'string') return `string ${t.text.length > 40 ? `${t.text.slice(0, 37)}...` : t.text}`
  return `'${t.text.length > 40 ? `${t.text.slice(0, 37)}...` : t.text}'`
}

/** Splits `text` into tokens, ending with one `eof` token at `text.length`. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) {
      i++
    } else if (text.startsWith('/*', i)) {
      i = skipComment(text, i)
    } else if (c === "'" || c === '"') {
      const t = readString(text, i)
      tokens.push(t)
      i += t.text.length
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(text[i + 1] ?? ''))) {
      const t = readNumber(text, i)
      tokens.push(t)
      i += t.text.length
    } else if (ID_START.test(String.fromCodePoint(text.codePointAt(i)!))) {
      let j = i
      while (j < text.length) {
        const ch = String.fromCodePoint(text.codePointAt(j)!)
        if (!ID_PART.test(ch)) break
        j += ch.length
      }
      const id = text.slice(i, j)
      tokens.push({ kind: 'ident', text: id, value: id, pos: i })
      i = j
    } else {
      const p = PUNCT.find((op) => text.startsWith(op, i))
      // An unknown character is kept whole, even if it is an astral code point (two UTF-16 units).
      const u = p ?? String.fromCodePoint(text.codePointAt(i)!)
      tokens.push({ kind: p ? 'punct' : 'unknown', text: u, value: u, pos: i })
      i += u.length
    }
  }
  tokens.push({ kind: 'eof', text: '', value: '', pos: text.length })
  return tokens
}

function skipComment(text: string, start: number): number {
  const end = text.indexOf('*/', start + 2)
  if (end < 0) throw new QueryParseError(text.length, `'*/' to close the comment started at position ${start}`, 'end of input')
  return end + 2
}

/**
 * Strings: single or double quotes. A quote is escaped by doubling it (`'it''s'`, SQL style) or with a backslash
 * (`'it\'s'`, IoT Edge style); backslash also takes the JSON escapes (`\\ \/ \b \f \n \r \t \uXXXX`).
 */
function readString(text: string, start: number): Token {
  const quote = text[start]!
  let out = ''
  let i = start + 1
  for (;;) {
    if (i >= text.length) {
      throw new QueryParseError(text.length, `a closing ${quote === "'" ? 'quote' : 'double quote'} (${quote}) for the string started at position ${start}`, 'end of input')
    }
    const c = text[i]!
    if (c === quote) {
      if (text[i + 1] === quote) {
        out += quote
        i += 2
        continue
      }
      i++
      break
    }
    if (c !== '\\') {
      out += c
      i++
      continue
    }
    const e = text[i + 1]
    if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
      out += SIMPLE_ESCAPES[e]
      i += 2
    } else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16))
      i += 6
    } else {
      if (e === undefined) {
        i = text.length // a trailing backslash escapes nothing: the string is unterminated
        continue
      }
      const found = `'\\${String.fromCodePoint(text.codePointAt(i + 1)!)}'`
      throw new QueryParseError(i, `an escape sequence (\\' \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`, found)
    }
  }
  return { kind: 'string', text: text.slice(start, i), value: out, pos: start }
}

/** Numbers: integers, hex integers (`0x1F`), reals (`1.5`, `.5`, `1.5e3`, `2E-3`). A sign is a unary operator. */
function readNumber(text: string, start: number): Token {
  let i = start
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    i += 2
    while (HEX.test(text[i] ?? '')) i++
    if (i === start + 2) throw new QueryParseError(i, "hex digits after '0x'", foundChar(text, i))
    return finiteNumber(text, start, i, parseInt(text.slice(start + 2, i), 16))
  }
  while (DIGIT.test(text[i] ?? '')) i++
  if (text[i] === '.' && DIGIT.test(text[i + 1] ?? '')) {
    i++
    while (DIGIT.test(text[i] ?? '')) i++
  }
  if (text[i] === 'e' || text[i] === 'E') {
    let j = i + 1
    if (text[j] === '+' || text[j] === '-') j++
    if (!DIGIT.test(text[j] ?? '')) throw new QueryParseError(j, 'digits in the exponent', foundChar(text, j))
    while (DIGIT.test(text[j] ?? '')) j++
    i = j
  }
  return finiteNumber(text, start, i, Number(text.slice(start, i)))
}

function finiteNumber(text: string, start: number, end: number, value: number): Token {
  const raw = text.slice(start, end)
  // JSON cannot hold Infinity, so `1e999` is rejected rather than silently becoming a non-number.
  if (!Number.isFinite(value)) throw new QueryParseError(start, 'a number within the range of a double', `'${raw}'`)
  return { kind: 'number', text: raw, value, pos: start }
}

function foundChar(text: string, i: number): string {
  return i >= text.length ? 'end of input' : `'${String.fromCodePoint(text.codePointAt(i)!)}'`
}
