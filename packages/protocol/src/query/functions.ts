/**
 * Built-in scalar functions of IoT Hub queries and IoT Edge routes. Names are case-insensitive and underscores are
 * ignored when looking them up, so IoT Hub's `STARTSWITH` and IoT Edge's `starts_with` are the same function.
 * Every function is total: an argument of the wrong type gives `undefined`, never an error.
 */
import { finite, typeOf, type QueryValue } from './value.js'

export interface FunctionDef {
  /** Canonical spelling, as the IoT Hub documentation writes it. */
  name: string
  minArgs: number
  /** `Infinity` for variadic functions. */
  maxArgs: number
  apply(args: readonly QueryValue[]): QueryValue
}

const str = (v: QueryValue): v is string => typeof v === 'string'
const num = (v: QueryValue): v is number => typeof v === 'number'

/** Type checks see `undefined` as a value and always answer true or false (`IS_NULL(missing)` is false). */
function typeCheck(name: string, test: (v: QueryValue) => boolean): FunctionDef {
  return { name, minArgs: 1, maxArgs: 1, apply: ([v]) => test(v) }
}

function math(name: string, f: (x: number) => number): FunctionDef {
  return { name, minArgs: 1, maxArgs: 1, apply: ([x]) => (num(x) ? finite(f(x)) : undefined) }
}

function strings2(name: string, f: (s: string, t: string) => QueryValue): FunctionDef {
  return { name, minArgs: 2, maxArgs: 2, apply: ([s, t]) => (str(s) && str(t) ? f(s, t) : undefined) }
}

/** A decimal number, whole string, optional surrounding spaces; no hex, no `Infinity`, no empty string. */
const NUMERIC = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/

const DEFS: FunctionDef[] = [
  typeCheck('IS_DEFINED', (v) => v !== undefined),
  typeCheck('IS_NULL', (v) => v === null),
  typeCheck('IS_BOOL', (v) => typeof v === 'boolean'),
  typeCheck('IS_NUMBER', (v) => typeof v === 'number'),
  typeCheck('IS_STRING', (v) => typeof v === 'string'),
  typeCheck('IS_OBJECT', (v) => typeOf(v) === 'object'),
  typeCheck('IS_ARRAY', (v) => Array.isArray(v)),
  typeCheck('IS_PRIMITIVE', (v) => ['null', 'boolean', 'number', 'string'].includes(typeOf(v))),

  // String matching is ordinal and case-sensitive, as IoT Hub's; use LOWER/UPPER for case-insensitive tests.
  strings2('STARTSWITH', (s, t) => s.startsWith(t)),
  strings2('ENDSWITH', (s, t) => s.endsWith(t)),
  strings2('CONTAINS', (s, t) => s.includes(t)),
  strings2('INDEX_OF', (s, t) => s.indexOf(t)),
  { name: 'LOWER', minArgs: 1, maxArgs: 1, apply: ([s]) => (str(s) ? s.toLowerCase() : undefined) },
  { name: 'UPPER', minArgs: 1, maxArgs: 1, apply: ([s]) => (str(s) ? s.toUpperCase() : undefined) },
  { name: 'LENGTH', minArgs: 1, maxArgs: 1, apply: ([s]) => (str(s) ? s.length : undefined) },
  { name: 'CONCAT', minArgs: 2, maxArgs: Infinity, apply: (args) => (args.every(str) ? args.join('') : undefined) },
  {
    // SUBSTRING(s, start[, length]): 0-based; a start past the end gives ''; negative or fractional
    // positions are not meaningful and give undefined.
    name: 'SUBSTRING',
    minArgs: 2,
    maxArgs: 3,
    apply: ([s, start, length]) => {
      if (!str(s) || !num(start) || !Number.isInteger(start) || start < 0) return undefined
      if (length === undefined) return s.slice(start)
      if (!num(length) || !Number.isInteger(length) || length < 0) return undefined
      return s.slice(start, start + length)
    },
  },

  math('ABS', Math.abs),
  math('CEILING', Math.ceil),
  math('FLOOR', Math.floor),
  math('EXP', Math.exp),
  math('SQUARE', (x) => x * x),
  math('SIGN', Math.sign),
  math('SQRT', Math.sqrt), // SQRT(-1) is NaN, hence undefined
  {
    name: 'POWER',
    minArgs: 2,
    maxArgs: 2,
    apply: ([x, y]) => (num(x) && num(y) ? finite(x ** y) : undefined),
  },
  {
    // AS_NUMBER('42') is 42: the way to compare string application properties (always strings on the wire) with numbers.
    name: 'AS_NUMBER',
    minArgs: 1,
    maxArgs: 1,
    apply: ([v]) => (num(v) ? v : str(v) && NUMERIC.test(v) ? finite(Number(v)) : undefined),
  },
]

/** Lookup key: `starts_with`, `StartsWith` and `STARTSWITH` all map to `STARTSWITH`. */
function key(name: string): string {
  return name.toUpperCase().replace(/_/g, '')
}

const BY_KEY: ReadonlyMap<string, FunctionDef> = new Map(DEFS.map((d) => [key(d.name), d]))

export function lookupFunction(name: string): FunctionDef | undefined {
  return BY_KEY.get(key(name))
}

/** Canonical names of all scalar functions. */
export const FUNCTION_NAMES: readonly string[] = DEFS.map((d) => d.name)

/** Aggregates are only valid as SELECT items of a twin query. */
export type AggregateName = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX'
export const AGGREGATE_NAMES: readonly AggregateName[] = ['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']

export function lookupAggregate(name: string): AggregateName | undefined {
  const upper = name.toUpperCase()
  return AGGREGATE_NAMES.find((a) => a === upper)
}

/** "1 argument", "2 or 3 arguments", "at least 2 arguments": for arity errors. */
export function describeArity(min: number, max: number): string {
  const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`
  if (min === max) return plural(min)
  if (max === Infinity) return `at least ${plural(min)}`
  return max === min + 1 ? `${min} or ${plural(max)}` : `${min} to ${plural(max)}`
}
