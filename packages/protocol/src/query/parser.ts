/**
 * Recursive-descent parser for the expression language of both dialects. Precedence, loosest first:
 *   ??   OR   AND   NOT   = != <>   < <= > >= IN NIN   + - ||   * / %   unary - (and NOT as an operand)
 * NOT sits below the comparisons as in SQL, so `NOT a = b` is `NOT (a = b)`; the IoT Edge grammar binds it tighter,
 * but for booleans the two readings only differ where the Edge one is meaningless.
 */
import type { BinaryOp, BodyExpr, Dialect, Expr, PathExpr, PathSegment, SysPropExpr } from './ast.js'
import { QueryParseError } from './errors.js'
import { describeArity, lookupAggregate, lookupFunction } from './functions.js'
import { describeToken, tokenize, type Token } from './lexer.js'

/**
 * Deepest nesting accepted (parentheses, calls, unary operators, operator chains). It keeps both the parser and
 * the evaluator well inside the call stack, so hostile input gets a parse error rather than a RangeError.
 */
export const MAX_DEPTH = 256

/** Words that cannot start an expression, per dialect. Route conditions leave SELECT etc. to application properties. */
const RESERVED: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  twin: new Set(['SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'AS', 'TOP', 'AND', 'OR', 'NOT', 'IN', 'NIN']),
  route: new Set(['AND', 'OR', 'NOT', 'IN', 'NIN']),
}

const LITERALS: Readonly<Record<string, null | boolean | undefined>> = { true: true, false: false, null: null, undefined: undefined }

export class Parser {
  private readonly tokens: Token[]
  private i = 0
  private nesting = 0
  private readonly depths = new WeakMap<Expr, number>()

  constructor(
    readonly text: string,
    readonly dialect: Dialect,
  ) {
    this.tokens = tokenize(text)
  }

  // ---- cursor ------------------------------------------------------------------------------------------------

  peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!
  }

  next(): Token {
    const t = this.peek()
    if (t.kind !== 'eof') this.i++
    return t
  }

  /** End offset of the last consumed token. */
  private prevEnd(): number {
    const t = this.tokens[this.i - 1]
    return t ? t.pos + t.text.length : 0
  }

  isPunct(p: string, k = 0): boolean {
    const t = this.peek(k)
    return t.kind === 'punct' && t.value === p
  }

  /** Keywords are case-insensitive in both dialects. */
  isKeyword(kw: string, k = 0): boolean {
    const t = this.peek(k)
    return t.kind === 'ident' && t.text.toUpperCase() === kw
  }

  eatPunct(p: string): boolean {
    if (!this.isPunct(p)) return false
    this.i++
    return true
  }

  eatKeyword(kw: string): boolean {
    if (!this.isKeyword(kw)) return false
    this.i++
    return true
  }

  expectPunct(p: string, expected: string): Token {
    if (!this.isPunct(p)) this.fail(this.peek(), expected)
    return this.next()
  }

  expectEnd(expected = 'end of input'): void {
    if (this.peek().kind !== 'eof') this.fail(this.peek(), expected)
  }

  fail(t: Token, expected: string): never {
    throw new QueryParseError(t.pos, expected, describeToken(t))
  }

  private enter(t: Token): void {
    if (++this.nesting > MAX_DEPTH) this.fail(t, `at most ${MAX_DEPTH} levels of nesting`)
  }

  private leave(): void {
    this.nesting--
  }

  /** Records the depth of a new node; a tree deeper than MAX_DEPTH is refused at the operator that deepens it. */
  private node<E extends Expr>(at: Token, e: E, children: readonly Expr[]): E {
    let d = 0
    for (const c of children) d = Math.max(d, this.depths.get(c) ?? 1)
    if (d + 1 > MAX_DEPTH) this.fail(at, `at most ${MAX_DEPTH} levels of nesting`)
    this.depths.set(e, d + 1)
    return e
  }

  // ---- expressions -------------------------------------------------------------------------------------------

  parseExpression(): Expr {
    return this.binaryLevel(0)
  }

  /** Operator levels, loosest first. Binary operators are left-associative; `NOT` is a prefix level of its own. */
  private static readonly LEVELS: readonly (readonly string[] | 'NOT')[] = [
    ['??'],
    ['OR'],
    ['AND'],
    'NOT',
    ['=', '!=', '<>'],
    ['<', '<=', '>', '>=', 'IN', 'NIN'],
    ['+', '-', '||'],
    ['*', '/', '%'],
  ]

  private binaryLevel(level: number): Expr {
    const ops = Parser.LEVELS[level]
    if (ops === undefined) return this.unary()
    if (ops === 'NOT') return this.notLevel(level)
    let left = this.binaryLevel(level + 1)
    for (;;) {
      const t = this.peek()
      const op = t.kind === 'punct' ? t.text : t.kind === 'ident' ? t.text.toUpperCase() : undefined
      if (op === undefined || !ops.includes(op)) return left
      if (op === 'IN' || op === 'NIN') {
        left = this.inList(left)
        continue
      }
      this.next()
      const right = this.binaryLevel(level + 1)
      const bop = (op === '<>' ? '!=' : op) as BinaryOp
      left = this.node(t, { kind: 'binary', op: bop, left, right }, [left, right])
    }
  }

  private notLevel(level: number): Expr {
    const t = this.peek()
    if (!this.isKeyword('NOT')) return this.binaryLevel(level + 1)
    this.next()
    this.enter(t)
    const operand = this.notLevel(level)
    this.leave()
    return this.node(t, { kind: 'unary', op: 'NOT', operand }, [operand])
  }

  private inList(operand: Expr): Expr {
    const kw = this.next()
    const negated = kw.text.toUpperCase() === 'NIN'
    const open = this.expectPunct('[', `'[' after ${kw.text.toUpperCase()}`)
    this.enter(open)
    const list: Expr[] = []
    if (!this.isPunct(']')) {
      do list.push(this.parseExpression())
      while (this.eatPunct(','))
    }
    this.expectPunct(']', `',' or ']' in the ${kw.text.toUpperCase()} list`)
    this.leave()
    return this.node(kw, { kind: 'in', negated, operand, list }, [operand, ...list])
  }

  private unary(): Expr {
    const t = this.peek()
    // NOT is also accepted as an operand (`a = NOT b`), binding tightly as in the IoT Edge grammar.
    const op = this.isPunct('-') ? '-' : this.isKeyword('NOT') ? 'NOT' : undefined
    if (!op) return this.primary()
    this.next()
    this.enter(t)
    const operand = this.unary()
    this.leave()
    // Fold `-5` into a literal so that `[-1, 2]` reads as data.
    if (op === '-' && operand.kind === 'literal' && typeof operand.value === 'number') {
      return { kind: 'literal', value: 0 - operand.value }
    }
    return this.node(t, { kind: 'unary', op, operand }, [operand])
  }

  private primary(): Expr {
    const t = this.peek()
    if (t.kind === 'number' || t.kind === 'string') {
      this.next()
      return { kind: 'literal', value: t.value }
    }
    if (this.isPunct('(')) {
      this.next()
      this.enter(t)
      const e = this.parseExpression()
      this.expectPunct(')', `')' to close the '(' at position ${t.pos}`)
      this.leave()
      return e
    }
    if (this.isPunct('{') && this.dialect === 'route') return this.escapedProperty()
    if (t.kind !== 'ident') this.fail(t, 'an expression')
    const literal = this.literalWord(t)
    if (literal) {
      this.next()
      return { kind: 'literal', value: literal.value }
    }
    if (RESERVED[this.dialect].has(t.text.toUpperCase())) this.fail(t, 'an expression')
    if (this.isPunct('(', 1)) return this.call()
    if (this.dialect === 'twin') return this.parsePath()
    return t.text.startsWith('$') ? this.dollarProperty(false) : this.applicationProperty()
  }

  /** true/false/null/undefined: case-insensitive in twin queries; lowercase only in routes, as IoT Edge has them. */
  private literalWord(t: Token): { value: null | boolean | undefined } | undefined {
    const word = this.dialect === 'twin' ? t.text.toLowerCase() : t.text
    return Object.hasOwn(LITERALS, word) ? { value: LITERALS[word] } : undefined
  }

  private call(): Expr {
    const name = this.next()
    if (lookupAggregate(name.text)) this.fail(name, 'a scalar function (aggregates such as COUNT are only allowed in SELECT)')
    const fn = lookupFunction(name.text)
    if (!fn) this.fail(name, 'a known function')
    const open = this.next() // '('
    this.enter(open)
    const args: Expr[] = []
    if (!this.isPunct(')')) {
      do args.push(this.parseExpression())
      while (this.eatPunct(','))
    }
    this.expectPunct(')', "')' after function arguments")
    this.leave()
    if (args.length < fn.minArgs || args.length > fn.maxArgs) {
      throw new QueryParseError(name.pos, `${describeArity(fn.minArgs, fn.maxArgs)} to ${fn.name}`, String(args.length))
    }
    return this.node(name, { kind: 'call', name: fn.name, args }, args)
  }

  // ---- references --------------------------------------------------------------------------------------------

  /** Twin dialect: `a.b.c`, `a[0]`, `a['odd-name']`. Keywords are fine after a dot (`tags.from`). */
  parsePath(): PathExpr {
    const first = this.next()
    if (first.kind !== 'ident') this.fail(first, 'a property name')
    return { kind: 'path', segments: [first.text, ...this.pathTail()] }
  }

  private pathTail(): PathSegment[] {
    const segments: PathSegment[] = []
    for (;;) {
      if (this.eatPunct('.')) {
        const t = this.next()
        if (t.kind !== 'ident') this.fail(t, "a property name after '.'")
        segments.push(t.text)
      } else if (this.isPunct('[')) {
        this.next()
        const t = this.next()
        if (t.kind === 'string') segments.push(String(t.value))
        else if (t.kind === 'number' && Number.isSafeInteger(t.value) && /^[0-9]+$/.test(t.text)) segments.push(Number(t.value))
        else this.fail(t, "an array index or a quoted property name after '['")
        this.expectPunct(']', "']' after the index")
      } else {
        return segments
      }
    }
  }

  /** Route dialect: a bare identifier is an application property; `a.b` is the property named "a.b". */
  private applicationProperty(): Expr {
    let name = this.next().text
    while (this.eatPunct('.')) {
      const t = this.next()
      if (t.kind !== 'ident') this.fail(t, "a property name after '.'")
      name += `.${t.text}`
    }
    return { kind: 'prop', name }
  }

  /** Route dialect: `$body…` is a body query, any other `$name` a system property. */
  private dollarProperty(escaped: boolean): SysPropExpr | BodyExpr {
    const first = this.next()
    const start = first.pos
    if (first.text === '$') this.fail(first, "a property name after '$'")
    if (first.text.toLowerCase() === '$body') {
      const segments = this.pathTail()
      return { kind: 'body', segments, escaped, text: this.text.slice(start, this.prevEnd()) }
    }
    let name = first.text.slice(1)
    while (this.eatPunct('.')) {
      const t = this.next()
      if (t.kind !== 'ident') this.fail(t, "a property name after '.'")
      name += `.${t.text}`
    }
    return { kind: 'sysprop', name, escaped, text: this.text.slice(start, this.prevEnd()) }
  }

  /** Route dialect: `{$name}` forces the system property (or body query) even when an application property has that name. */
  private escapedProperty(): Expr {
    const open = this.next()
    const t = this.peek()
    if (t.kind !== 'ident' || !t.text.startsWith('$')) this.fail(t, "a $-property such as $contentType after '{'")
    const ref = this.dollarProperty(true)
    this.expectPunct('}', `'}' to close the '{' at position ${open.pos}`)
    return ref
  }
}

/**
 * Parses a bare condition: a WHERE clause of a twin query (`dialect: 'twin'`) or an IoT Edge route condition
 * (`dialect: 'route'`, e.g. `$connectionModuleId = 'camera' AND $body.faces > 0`). Throws QueryParseError.
 */
export function parseCondition(text: string, opts: { dialect: Dialect }): Expr {
  const p = new Parser(text, opts.dialect)
  const e = p.parseExpression()
  p.expectEnd()
  return e
}
