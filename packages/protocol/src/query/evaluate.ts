/**
 * The evaluator: walks an expression tree, asking the resolver for every property reference. It never throws
 * (unless the resolver does): every type mismatch is `undefined`, as documented in operators.ts and functions.ts.
 */
import type { Expr, Resolver } from './ast.js'
import { lookupFunction } from './functions.js'
import { and, arithmetic, coalesce, compare, concat, inList, isArithmeticOp, isCompareOp, negate, not, or } from './operators.js'
import { fromUnknown, type QueryValue } from './value.js'

export function evaluate(expr: Expr, resolve: Resolver): QueryValue {
  switch (expr.kind) {
    case 'literal':
      return expr.value
    case 'path':
    case 'prop':
    case 'sysprop':
    case 'body':
      // Normalised again so that a custom resolver returning NaN or a function cannot leak non-JSON values.
      return fromUnknown(resolve(expr))
    case 'unary':
      return expr.op === 'NOT' ? not(evaluate(expr.operand, resolve)) : negate(evaluate(expr.operand, resolve))
    case 'in':
      return inList(
        evaluate(expr.operand, resolve),
        expr.list.map((e) => evaluate(e, resolve)),
        expr.negated,
      )
    case 'call': {
      // The parser only builds calls to known functions with valid arity; an unknown name (a hand-built tree) is
      // undefined like any other meaningless operation.
      const fn = lookupFunction(expr.name)
      if (!fn || expr.args.length < fn.minArgs || expr.args.length > fn.maxArgs) return undefined
      return fn.apply(expr.args.map((a) => evaluate(a, resolve)))
    }
    case 'binary': {
      const { op } = expr
      const left = evaluate(expr.left, resolve)
      // AND, OR and ?? evaluate their right side only when needed: a resolver may parse a message body lazily.
      const right = () => evaluate(expr.right, resolve)
      if (op === 'AND') return and(left, right)
      if (op === 'OR') return or(left, right)
      if (op === '??') return coalesce(left, right)
      if (op === '||') return concat(left, right())
      if (isCompareOp(op)) return compare(op, left, right())
      if (isArithmeticOp(op)) return arithmetic(op, left, right())
      return undefined
    }
  }
}

/** WHERE semantics: only `true` matches; `false`, `undefined`, `null` and non-booleans do not. */
export function matches(expr: Expr, resolve: Resolver): boolean {
  return evaluate(expr, resolve) === true
}
