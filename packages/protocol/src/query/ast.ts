/**
 * The expression tree shared by both dialects. Only the reference nodes differ between them: twin queries produce
 * `path`, route conditions produce `prop`, `sysprop` and `body`. The evaluator hands every reference to a
 * {@link Resolver}, so the same tree and evaluator serve twin queries and Edge routes.
 */
import type { QueryValue } from './value.js'

/**
 * `twin`: IoT Hub twin queries and conditions; identifiers are dotted paths into the twin document.
 * `route`: IoT Edge route conditions; identifiers are message properties.
 */
export type Dialect = 'twin' | 'route'

/** A property name, or an array index from `[n]`. */
export type PathSegment = string | number

export interface LiteralExpr {
  kind: 'literal'
  value: QueryValue
}

/** Twin dialect: `tags.location.city`, `properties.reported.arr[0]`, `tags['odd-name']`. */
export interface PathExpr {
  kind: 'path'
  segments: PathSegment[]
}

/** Route dialect: a bare identifier is an application property; dots are part of its name (`a.b` is one property). */
export interface PropExpr {
  kind: 'prop'
  name: string
}

/**
 * Route dialect: `$name` or `{$name}`. `text` is the identifier as written (`$contentType`), which is also the
 * name of the application property that takes precedence unless the reference is `escaped` with braces.
 */
export interface SysPropExpr {
  kind: 'sysprop'
  name: string
  escaped: boolean
  text: string
}

/** Route dialect: `$body.a.b[0]` or `{$body.a.b}`, a path into the JSON message body. `$body` alone is the whole body. */
export interface BodyExpr {
  kind: 'body'
  segments: PathSegment[]
  escaped: boolean
  text: string
}

export type UnaryOp = 'NOT' | '-'
/** `<>` is parsed as `!=`. */
export type BinaryOp = 'AND' | 'OR' | '??' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '||' | '*' | '/' | '%'

export interface UnaryExpr {
  kind: 'unary'
  op: UnaryOp
  operand: Expr
}

export interface BinaryExpr {
  kind: 'binary'
  op: BinaryOp
  left: Expr
  right: Expr
}

/** `x IN [a, b]`, or `x NIN [a, b]` when `negated`. */
export interface InExpr {
  kind: 'in'
  negated: boolean
  operand: Expr
  list: Expr[]
}

/** A call to a built-in scalar function; `name` is its canonical spelling (e.g. `STARTSWITH` for `starts_with`). */
export interface CallExpr {
  kind: 'call'
  name: string
  args: Expr[]
}

export type Reference = PathExpr | PropExpr | SysPropExpr | BodyExpr
export type Expr = LiteralExpr | Reference | UnaryExpr | BinaryExpr | InExpr | CallExpr

/**
 * Looks up what a reference stands for in the current row or message. Must not throw; `undefined` means "absent".
 * See `twinResolver` and `routeResolver`.
 */
export type Resolver = (ref: Reference) => QueryValue
