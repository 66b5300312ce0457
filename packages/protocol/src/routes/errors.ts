/**
 * The one error the route parser throws. It is a QueryParseError (same `position`, `expected`, `found` and message
 * shape), with positions always in the coordinates of the whole route text, also for errors inside the condition.
 */
import { QueryParseError } from '../query/errors.js'

/** The part of the route an error is in. */
export type RouteClause = 'route' | 'source' | 'condition' | 'sink'

export class RouteParseError extends QueryParseError {
  readonly clause: RouteClause

  constructor(clause: RouteClause, position: number, expected: string, found: string, options?: ErrorOptions) {
    super(position, expected, found)
    if (options?.cause !== undefined) this.cause = options.cause
    this.name = 'RouteParseError'
    this.clause = clause
  }
}

export function isRouteParseError(err: unknown): err is RouteParseError {
  return err instanceof RouteParseError
}

/** How a piece of route text is named in error messages (`found`), shortened as the query lexer does. */
export function quoteFound(text: string): string {
  return `'${text.length > 40 ? `${text.slice(0, 37)}...` : text}'`
}
