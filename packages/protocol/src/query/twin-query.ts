/**
 * Twin queries, IoT Hub's `POST /devices/query` language:
 *   SELECT [TOP n] * | item [AS name], … FROM devices | devices.modules [WHERE condition] [GROUP BY path, …]
 * where an item is a property path or an aggregate (COUNT(), SUM(x), AVG(x), MIN(x), MAX(x)).
 */
import type { Expr, PathExpr } from './ast.js'
import { QueryParseError } from './errors.js'
import { lookupAggregate, lookupFunction, type AggregateName } from './functions.js'
import { describeToken, type Token } from './lexer.js'
import { Parser } from './parser.js'

export type TwinCollection = 'devices' | 'devices.modules'

/** One column of the result; `alias` is its key in each result row. */
export type SelectItem =
  | { kind: 'property'; path: PathExpr; alias: string }
  | { kind: 'aggregate'; fn: AggregateName; arg?: Expr; alias: string }

export type SelectClause = { kind: 'all' } | { kind: 'items'; items: SelectItem[] }

export interface TwinQuery {
  from: TwinCollection
  select: SelectClause
  /** `SELECT TOP n`: at most n result rows. */
  top?: number
  where?: Expr
  groupBy?: PathExpr[]
}

const COLLECTIONS: readonly TwinCollection[] = ['devices', 'devices.modules']
const AGGREGATES_HINT = 'an aggregate (COUNT, SUM, AVG, MIN, MAX)'

/** Parses a twin query; throws QueryParseError with the position of the first problem. */
export function parseTwinQuery(sql: string): TwinQuery {
  const p = new Parser(sql, 'twin')
  if (!p.eatKeyword('SELECT')) p.fail(p.peek(), 'SELECT')
  const top = parseTop(p)
  const selectAt = p.peek()
  const select = parseSelectList(p)
  if (!p.eatKeyword('FROM')) p.fail(p.peek(), select.kind === 'all' ? 'FROM after SELECT *' : "',' or FROM after the SELECT list")
  const from = parseCollection(p)
  const query: TwinQuery = { from, select: select.kind === 'all' ? select : { kind: 'items', items: select.items.map((i) => i.item) } }
  if (top !== undefined) query.top = top
  if (p.eatKeyword('WHERE')) query.where = p.parseExpression()
  const groupAt = p.peek()
  if (p.eatKeyword('GROUP')) {
    if (!p.eatKeyword('BY')) p.fail(p.peek(), 'BY after GROUP')
    query.groupBy = []
    do query.groupBy.push(parsePropertyPath(p, 'a property path after GROUP BY').path)
    while (p.eatPunct(','))
    p.expectEnd("',' or end of input")
  } else {
    p.expectEnd(query.where ? 'GROUP BY or end of input' : 'WHERE, GROUP BY or end of input')
  }
  if (select.kind === 'all') {
    if (query.groupBy) throw new QueryParseError(groupAt.pos, 'a SELECT list rather than * with GROUP BY', `'*' at position ${selectAt.pos}`)
  } else {
    checkAggregation(select.items, query.groupBy)
  }
  return query
}

function parseTop(p: Parser): number | undefined {
  if (!p.eatKeyword('TOP')) return undefined
  const t = p.next()
  if (t.kind !== 'number' || !/^[0-9]+$/.test(t.text) || !Number.isSafeInteger(t.value)) p.fail(t, 'a whole number after TOP')
  return Number(t.value)
}

interface ParsedItem {
  item: SelectItem
  /** Where the item starts and its source text, for error messages. */
  token: Token
  text: string
}

function parseSelectList(p: Parser): { kind: 'all' } | { kind: 'items'; items: ParsedItem[] } {
  if (p.eatPunct('*')) return { kind: 'all' }
  const items: ParsedItem[] = []
  const aliases = new Set<string>()
  let unnamed = 0
  do {
    const start = p.peek()
    const first = items.length === 0
    const expected = `${first ? '*, ' : ''}a property path or ${AGGREGATES_HINT}${first ? ' after SELECT' : " after ','"}`
    let item: SelectItem
    if (start.kind === 'ident' && p.isPunct('(', 1)) {
      const fn = lookupAggregate(start.text)
      if (!fn) p.fail(start, lookupFunction(start.text) ? `a property path or ${AGGREGATES_HINT}: scalar functions are not allowed in SELECT` : expected)
      p.next()
      p.next() // '('
      let arg: Expr | undefined
      if (fn === 'COUNT') {
        p.expectPunct(')', "')': COUNT takes no arguments")
      } else {
        if (p.isPunct(')')) p.fail(p.peek(), `an argument to ${fn}`)
        arg = p.parseExpression()
        p.expectPunct(')', `')' after the argument to ${fn}`)
      }
      item = arg ? { kind: 'aggregate', fn, arg, alias: '' } : { kind: 'aggregate', fn, alias: '' }
    } else {
      item = { kind: 'property', path: parsePropertyPath(p, expected).path, alias: '' }
    }
    const text = p.text.slice(start.pos, p.peek().pos).trim()
    // Unnamed columns are keyed like Cosmos DB's: a path by its last property name, anything else `$1`, `$2`, ….
    let aliasAt = start
    if (p.eatKeyword('AS')) {
      aliasAt = p.next()
      if (aliasAt.kind !== 'ident') p.fail(aliasAt, 'a column name after AS')
      item.alias = aliasAt.text
    } else if (item.kind === 'property') {
      item.alias = String(item.path.segments.findLast((s) => typeof s === 'string'))
    } else {
      item.alias = `$${++unnamed}`
    }
    if (aliases.has(item.alias)) {
      throw new QueryParseError(aliasAt.pos, 'a column name not already used in this SELECT (rename with AS)', `'${item.alias}'`)
    }
    aliases.add(item.alias)
    items.push({ item, token: start, text })
  } while (p.eatPunct(','))
  return { kind: 'items', items }
}

function parsePropertyPath(p: Parser, expected: string): { path: PathExpr } {
  const t = p.peek()
  const reserved = ['SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'AS', 'TOP', 'AND', 'OR', 'NOT', 'IN', 'NIN']
  if (t.kind !== 'ident' || reserved.includes(t.text.toUpperCase())) p.fail(t, expected)
  return { path: p.parsePath() }
}

function parseCollection(p: Parser): TwinCollection {
  const expected = "'devices' or 'devices.modules' after FROM"
  const first = p.next()
  if (first.kind !== 'ident') p.fail(first, expected)
  let name = first.text
  while (p.eatPunct('.')) {
    const t = p.next()
    if (t.kind !== 'ident') p.fail(t, `${expected} (a name after '.')`)
    name += `.${t.text}`
  }
  // Collection names are case-insensitive like keywords (`FROM Devices`).
  const found = COLLECTIONS.find((c) => c === name.toLowerCase())
  if (!found) throw new QueryParseError(first.pos, expected, describeToken({ ...first, text: name }))
  return found
}

/** With aggregates or GROUP BY, a plain property column must be one of the GROUP BY paths (its value per group). */
function checkAggregation(items: readonly ParsedItem[], groupBy: readonly PathExpr[] | undefined): void {
  if (!groupBy && !items.some((i) => i.item.kind === 'aggregate')) return
  for (const { item, token, text } of items) {
    if (item.kind !== 'property') continue
    if (groupBy?.some((g) => samePath(g, item.path))) continue
    const expected = groupBy ? 'a GROUP BY property or an aggregate' : `an aggregate (or GROUP BY ${text})`
    throw new QueryParseError(token.pos, expected, `'${text}'`)
  }
}

export function samePath(a: PathExpr, b: PathExpr): boolean {
  return a.segments.length === b.segments.length && a.segments.every((s, i) => s === b.segments[i])
}
