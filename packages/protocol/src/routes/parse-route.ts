/**
 * The route parser, hand-written on top of the query language's condition parser:
 *
 *   route  := [SELECT '*'] FROM source [WHERE condition] INTO sink
 *
 * Keywords are case-insensitive; whitespace (newlines included) may stand between any two clauses, and comments
 * inside the condition and the sink. The source is a run of non-blank characters (see source.ts), so it cannot
 * contain spaces or comments. The condition runs up to the first INTO keyword outside strings and comments (an
 * identifier after '.', as in `$body.into`, is a name, not the keyword); `into` cannot be an application property.
 * Every error is a RouteParseError whose position is an offset into the whole route text.
 */
import type { Expr } from '../query/ast.js'
import { QueryParseError } from '../query/errors.js'
import { Parser } from '../query/parser.js'
import { quoteFound, RouteParseError, type RouteClause } from './errors.js'
import type { Route } from './route.js'
import { parseSink } from './sink.js'
import { checkSource } from './source.js'

const BLANK = /\s/u
const ID_START = /[\p{L}_$]/u
const ID_PART = /[\p{L}\p{N}_$]/u
const DIGIT = /[0-9]/
const HEX = /[0-9A-Fa-f]/
const ROUTE_SHAPE = '[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>'

/** Parses `[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>`. Throws RouteParseError. */
export function parseRoute(text: string): Route {
  const r = new Reader(text)
  r.blank()
  const first = r.word()
  if (first.upper === 'SELECT') {
    r.blank()
    if (text[r.i] !== '*') r.fail('route', "'*' after SELECT (a route always selects the whole message)")
    r.i++
    r.blank()
    if (r.word().upper !== 'FROM') r.fail('route', 'FROM after SELECT *', r.i)
  } else if (first.upper !== 'FROM') {
    r.fail('route', `FROM at the start of the route (${ROUTE_SHAPE})`, first.pos)
  }

  r.blank()
  const sourcePos = r.i
  while (r.i < text.length && !BLANK.test(text[r.i]!)) r.i++
  const source = text.slice(sourcePos, r.i)
  if (source === '') r.fail('source', 'a source path such as /messages/* after FROM')
  checkSource(source, sourcePos)

  r.blank()
  const next = r.word()
  let condition: { expr: Expr; text: string; end: number } | undefined
  if (next.upper === 'WHERE') {
    condition = parseWhere(text, r.i)
    r.i = condition.end + 'INTO'.length
  } else if (next.upper !== 'INTO') {
    r.fail('route', 'WHERE or INTO after the source', next.pos)
  }
  const sink = tagged('sink', () => parseSink(text, r.i))
  return {
    source,
    ...(condition ? { condition: condition.expr, conditionText: condition.text } : {}),
    sink,
  }
}

/** Parses the condition after WHERE (at `from`) up to its INTO, blanking the rest so positions stay route offsets. */
function parseWhere(text: string, from: number): { expr: Expr; text: string; end: number } {
  const into = findInto(text, from)
  const end = into < 0 ? text.length : into
  const body = text.slice(from, end)
  const intoWord = into < 0 ? undefined : text.slice(into, into + 4)
  if (body.trim() === '') throw new RouteParseError('condition', end, 'a condition after WHERE', intoWord ? quoteFound(intoWord) : 'end of input')
  const expr = tagged('condition', () => {
    const p = new Parser(' '.repeat(from) + body, 'route')
    try {
      const e = p.parseExpression()
      p.expectEnd('INTO after the condition')
      return e
    } catch (err) {
      // The condition was cut just before INTO: "found end of input" there means "found INTO".
      if (intoWord && err instanceof QueryParseError && err.position === end && err.found === 'end of input') {
        throw new QueryParseError(end, err.expected, quoteFound(intoWord))
      }
      throw err
    }
  })
  if (!intoWord) throw new RouteParseError('route', end, 'INTO after the condition', 'end of input')
  return { expr, text: body.trim(), end }
}

/**
 * Offset of the INTO keyword that ends a condition starting at `from`, or -1. Scans as the query lexer tokenizes
 * (strings, comments, numbers, identifiers), so INTO inside a string, a comment or a longer identifier, or right
 * after '.', does not count. Malformed literals are skipped over: the condition parser reports them.
 */
export function findInto(text: string, from: number): number {
  let i = from
  let afterDot = false
  while (i < text.length) {
    const c = text[i]!
    if (BLANK.test(c)) {
      i++
      continue
    }
    if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2)
      if (close < 0) return -1
      i = close + 2
      continue
    }
    const wasDot = afterDot
    afterDot = false
    if (c === "'" || c === '"') {
      i = skipString(text, i)
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(text[i + 1] ?? ''))) {
      i = skipNumber(text, i)
    } else if (ID_START.test(String.fromCodePoint(text.codePointAt(i)!))) {
      let j = i
      while (j < text.length) {
        const ch = String.fromCodePoint(text.codePointAt(j)!)
        if (!ID_PART.test(ch)) break
        j += ch.length
      }
      if (!wasDot && j - i === 4 && text.slice(i, j).toUpperCase() === 'INTO') return i
      i = j
    } else {
      afterDot = c === '.'
      i++
    }
  }
  return -1
}

/** Past the string starting at `start` (quotes doubled or backslash-escaped), or text.length if unterminated. */
function skipString(text: string, start: number): number {
  const quote = text[start]
  let i = start + 1
  while (i < text.length) {
    const c = text[i]
    if (c === '\\') i += 2
    else if (c !== quote) i++
    else if (text[i + 1] === quote) i += 2
    else return i + 1
  }
  return text.length
}

/** Past the number starting at `start`: `0x1F`, `12`, `1.5`, `.5`, `1e3`, `2E-3` (the lexer's rules). */
function skipNumber(text: string, start: number): number {
  let i = start
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    i += 2
    while (HEX.test(text[i] ?? '')) i++
    return i
  }
  while (DIGIT.test(text[i] ?? '')) i++
  if (text[i] === '.' && DIGIT.test(text[i + 1] ?? '')) {
    i++
    while (DIGIT.test(text[i] ?? '')) i++
  }
  if (text[i] === 'e' || text[i] === 'E') {
    i++
    if (text[i] === '+' || text[i] === '-') i++
    while (DIGIT.test(text[i] ?? '')) i++
  }
  return i
}

/** Runs a query-language parse, turning its QueryParseError into a RouteParseError of the given clause. */
function tagged<T>(clause: RouteClause, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (err instanceof QueryParseError && !(err instanceof RouteParseError)) {
      throw new RouteParseError(clause, err.position, err.expected, err.found, { cause: err })
    }
    throw err
  }
}

/** A cursor over the route text for the clauses before the condition. */
class Reader {
  i = 0

  constructor(readonly text: string) {}

  blank(): void {
    while (this.i < this.text.length && BLANK.test(this.text[this.i]!)) this.i++
  }

  /** The keyword-like word at the cursor (letters, digits, `_`, `$`), consumed; empty if there is none. */
  word(): { upper: string; pos: number } {
    const pos = this.i
    while (this.i < this.text.length && ID_PART.test(this.text[this.i]!)) this.i++
    return { upper: this.text.slice(pos, this.i).toUpperCase(), pos }
  }

  /** Fails at `at` (default: the cursor), naming the non-blank run found there. */
  fail(clause: RouteClause, expected: string, at = this.i): never {
    let end = at
    while (end < this.text.length && !BLANK.test(this.text[end]!)) end++
    const run = this.text.slice(at, end)
    const found = run === '' ? 'end of input' : quoteFound(run)
    throw new RouteParseError(clause, at, expected, found)
  }
}
