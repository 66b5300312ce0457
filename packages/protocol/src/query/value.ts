/**
 * Values of the query language: JSON values plus `undefined`, which IoT Hub keeps distinct from `null`
 * ("the property is absent" versus "the property is null").
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }
export type QueryValue = JsonValue | undefined

export type ValueType = 'undefined' | 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object'

export function typeOf(v: QueryValue): ValueType {
  if (v === undefined) return 'undefined'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v as 'boolean' | 'number' | 'string' | 'object'
}

/**
 * Brings host data (a twin document, a parsed body) into the value space. Anything JSON cannot hold (functions,
 * symbols, bigints, NaN, ±Infinity) is `undefined`, so operators only ever see JSON types.
 */
export function fromUnknown(v: unknown): QueryValue {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v
    case 'number':
      return Number.isFinite(v) ? v : undefined
    case 'object':
      return v as JsonValue
    default:
      return undefined
  }
}

/** A number the language can hold: JSON has no NaN or ±Infinity, so those results are `undefined`. */
export function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined
}

/**
 * Reads a property path from a JSON document. String segments read own properties of objects only (never
 * inherited ones such as `constructor`), number segments read array elements; anything else is `undefined`.
 */
export function resolvePath(root: unknown, segments: readonly (string | number)[]): QueryValue {
  let node: unknown = root
  for (const seg of segments) {
    if (typeof node !== 'object' || node === null) return undefined
    if (typeof seg === 'number') {
      if (!Array.isArray(node) || !Number.isInteger(seg) || seg < 0 || seg >= node.length) return undefined
      node = node[seg]
    } else {
      if (Array.isArray(node) || !Object.hasOwn(node, seg)) return undefined
      node = (node as Record<string, unknown>)[seg]
    }
  }
  return fromUnknown(node)
}
