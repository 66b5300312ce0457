/**
 * The one error the query language throws: a parse error pointing at the offending character. Evaluation never
 * throws; type mismatches and missing properties evaluate to `undefined` instead (IoT Hub semantics).
 */

export class QueryParseError extends Error {
  /** 0-based UTF-16 offset into the query text. */
  readonly position: number
  /** What the parser wanted there, e.g. `')' after function arguments`. */
  readonly expected: string
  /** What it saw instead, e.g. `'WHERE'` or `end of input`. */
  readonly found: string

  constructor(position: number, expected: string, found: string) {
    super(`at position ${position}: expected ${expected} but found ${found}`)
    this.name = 'QueryParseError'
    this.position = position
    this.expected = expected
    this.found = found
  }
}

export function isQueryParseError(err: unknown): err is QueryParseError {
  return err instanceof QueryParseError
}
