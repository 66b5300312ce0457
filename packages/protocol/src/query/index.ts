/**
 * The query language of IoT Hub twin queries and IoT Edge route conditions: one lexer, parser and evaluator;
 * the dialects differ in how identifiers resolve (see ast.ts).
 */
export type {
  BinaryExpr,
  BinaryOp,
  BodyExpr,
  CallExpr,
  Dialect,
  Expr,
  InExpr,
  LiteralExpr,
  PathExpr,
  PathSegment,
  PropExpr,
  Reference,
  Resolver,
  SysPropExpr,
  UnaryExpr,
  UnaryOp,
} from './ast.js'
export { QueryParseError, isQueryParseError } from './errors.js'
export { evaluate, matches } from './evaluate.js'
export { AGGREGATE_NAMES, FUNCTION_NAMES, type AggregateName } from './functions.js'
export { MAX_DEPTH as MAX_QUERY_DEPTH, parseCondition } from './parser.js'
export { routeResolver } from './route-resolver.js'
export { runTwinQuery } from './run-twin-query.js'
export { parseTwinQuery, type SelectClause, type SelectItem, type TwinCollection, type TwinQuery } from './twin-query.js'
export { twinResolver } from './twin-resolver.js'
export { typeOf, type JsonValue, type QueryValue, type ValueType } from './value.js'
