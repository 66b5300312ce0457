/**
 * Operator semantics, following IoT Hub queries and IoT Edge routes: no implicit conversions, and `undefined`
 * (an absent property, or the result of a meaningless operation) flows through instead of raising errors.
 */
import type { BinaryOp } from './ast.js'
import { finite, typeOf, type QueryValue } from './value.js'

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>='
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%'

/**
 * Comparison rules:
 * - `undefined` on either side gives `undefined`: a missing property is neither equal nor unequal to anything,
 *   so `tags.x != 'a'` does not match twins without `tags.x` (use IS_DEFINED to test for absence).
 * - Objects and arrays compare to nothing (`undefined`): they can only be tested with IS_DEFINED, IS_OBJECT, ….
 * - Values of different types are never related: every operator, `!=` included, gives `false` (`5 = '5'` and
 *   `5 != '5'` are both false). There is no coercion; AS_NUMBER converts explicitly.
 * - Numbers compare numerically, strings ordinally by UTF-16 code unit (so `=` is case-sensitive), booleans with
 *   `false < true`, and `null` only equals `null`.
 */
export function compare(op: CompareOp, a: QueryValue, b: QueryValue): boolean | undefined {
  const ta = typeOf(a)
  const tb = typeOf(b)
  if (ta === 'undefined' || tb === 'undefined') return undefined
  if (ta === 'object' || ta === 'array' || tb === 'object' || tb === 'array') return undefined
  if (ta !== tb) return false
  const c = ta === 'null' ? 0 : (a as number | string | boolean) < (b as number | string | boolean) ? -1 : a === b ? 0 : 1
  switch (op) {
    case '=':
      return c === 0
    case '!=':
      return c !== 0
    case '<':
      return c < 0
    case '<=':
      return c <= 0
    case '>':
      return c > 0
    case '>=':
      return c >= 0
  }
}

/**
 * Arithmetic is defined on numbers only; anything else (strings included: `+` does not concatenate, use `||`)
 * gives `undefined`. Results JSON cannot hold (division by zero, overflow) are `undefined` too.
 */
export function arithmetic(op: ArithmeticOp, a: QueryValue, b: QueryValue): number | undefined {
  if (typeof a !== 'number' || typeof b !== 'number') return undefined
  switch (op) {
    case '+':
      return finite(a + b)
    case '-':
      return finite(a - b)
    case '*':
      return finite(a * b)
    case '/':
      return finite(a / b)
    case '%':
      return finite(a % b)
  }
}

/** `-x`: numbers only. */
export function negate(a: QueryValue): number | undefined {
  // `0 - x` rather than `-x` so that `-0` never appears (JSON would print it as 0 anyway).
  return typeof a === 'number' ? 0 - a : undefined
}

/** `a || b` concatenates two strings; any other operand gives `undefined`. */
export function concat(a: QueryValue, b: QueryValue): string | undefined {
  return typeof a === 'string' && typeof b === 'string' ? a + b : undefined
}

/** `a ?? b`: `b` when `a` is undefined. `null` is a value, so `null ?? 1` is `null`. */
export function coalesce(a: QueryValue, b: () => QueryValue): QueryValue {
  return a !== undefined ? a : b()
}

/**
 * Logical operands: `true`, `false`, or unknown. Any non-boolean (undefined, null, numbers, strings, objects) is
 * unknown, as in SQL's three-valued logic; a condition matches only when it is exactly `true`.
 */
function truth(v: QueryValue): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined
}

/** NOT: true ↔ false; unknown stays unknown (so `NOT (x = 1)` does not match twins without `x`). */
export function not(a: QueryValue): boolean | undefined {
  const t = truth(a)
  return t === undefined ? undefined : !t
}

/** AND: false if either side is false (even if the other is unknown), true if both are true, else unknown. */
export function and(a: QueryValue, b: () => QueryValue): boolean | undefined {
  const l = truth(a)
  if (l === false) return false
  const r = truth(b())
  if (r === false) return false
  return l === true && r === true ? true : undefined
}

/** OR: true if either side is true (even if the other is unknown), false if both are false, else unknown. */
export function or(a: QueryValue, b: () => QueryValue): boolean | undefined {
  const l = truth(a)
  if (l === true) return true
  const r = truth(b())
  if (r === true) return true
  return l === false && r === false ? false : undefined
}

/**
 * `x IN [a, b, …]`: true if `x = a` for some element, false if `x = e` is false for all of them, unknown otherwise
 * (x undefined, or an element is undefined/an object). NIN is the negation, with the same unknowns.
 */
export function inList(x: QueryValue, list: readonly QueryValue[], negated: boolean): boolean | undefined {
  if (x === undefined) return undefined
  let result: boolean | undefined = false
  for (const e of list) {
    const eq = compare('=', x, e)
    if (eq === true) {
      result = true
      break
    }
    if (eq === undefined) result = undefined
  }
  return negated ? not(result) : result
}

export function isCompareOp(op: BinaryOp): op is CompareOp {
  return op === '=' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>='
}

export function isArithmeticOp(op: BinaryOp): op is ArithmeticOp {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%'
}
