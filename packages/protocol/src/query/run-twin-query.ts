/**
 * Runs a parsed twin query over twin documents: filter (WHERE), then either project each row or aggregate
 * (COUNT/SUM/AVG/MIN/MAX, per GROUP BY group), then TOP. The caller picks the rows: device twins for
 * `FROM devices`, module twins for `FROM devices.modules`.
 */
import { evaluate, matches } from './evaluate.js'
import { samePath, type SelectItem, type TwinQuery } from './twin-query.js'
import { twinResolver } from './twin-resolver.js'
import { resolvePath, type QueryValue } from './value.js'

type Row = Record<string, unknown>

export function runTwinQuery(q: TwinQuery, rows: Iterable<Row>): Row[] {
  const where = q.where
  const matching: Row[] = []
  for (const row of rows) if (!where || matches(where, twinResolver(row))) matching.push(row)
  const out = q.select.kind === 'all' ? matching : isAggregating(q, q.select.items) ? aggregate(q, q.select.items, matching) : project(q.select.items, matching)
  return q.top === undefined ? out : out.slice(0, q.top)
}

function isAggregating(q: TwinQuery, items: readonly SelectItem[]): boolean {
  return q.groupBy !== undefined || items.some((i) => i.kind === 'aggregate')
}

/** `SELECT a.b, c AS x`: one row per twin; properties the twin lacks are left out, as IoT Hub omits undefined. */
function project(items: readonly SelectItem[], rows: readonly Row[]): Row[] {
  return rows.map((row) => {
    const out: Row = {}
    for (const item of items) {
      if (item.kind !== 'property') continue
      const v = resolvePath(row, item.path.segments)
      if (v !== undefined) out[item.alias] = v
    }
    return out
  })
}

/**
 * One result row per group (a single group of all matching rows when there is no GROUP BY, so `SELECT COUNT()`
 * on nothing gives `[{ "$1": 0 }]`). Rows whose group value is undefined form their own group, with the property
 * left out. Group-by properties the SELECT does not name are added under their last path segment, so each row
 * says which group it counts.
 */
function aggregate(q: TwinQuery, items: readonly SelectItem[], rows: readonly Row[]): Row[] {
  const groupBy = q.groupBy ?? []
  const groups = new Map<string, Row[]>()
  if (groupBy.length === 0) groups.set('', [...rows])
  for (const row of groupBy.length === 0 ? [] : rows) {
    const k = groupKey(groupBy.map((g) => resolvePath(row, g.segments)))
    const g = groups.get(k)
    if (g) g.push(row)
    else groups.set(k, [row])
  }
  const result: Row[] = []
  for (const members of groups.values()) {
    const first = members[0]
    const out: Row = {}
    for (const item of items) {
      const v = item.kind === 'property' ? (first ? resolvePath(first, item.path.segments) : undefined) : aggregateValue(item, members)
      if (v !== undefined) out[item.alias] = v
    }
    for (const g of groupBy) {
      if (items.some((i) => i.kind === 'property' && samePath(i.path, g))) continue
      const name = String(g.segments.findLast((s) => typeof s === 'string'))
      const v = first ? resolvePath(first, g.segments) : undefined
      if (!(name in out) && v !== undefined) out[name] = v
    }
    result.push(out)
  }
  return result
}

/** A collision-free key for a tuple of values, `undefined` included (JSON.stringify would turn it into null). */
function groupKey(values: readonly QueryValue[]): string {
  return values.map((v) => (v === undefined ? 'u' : `j${stableJson(v)}`)).join('\u0000')
}

function stableJson(v: QueryValue): string {
  try {
    return JSON.stringify(v) ?? 'u'
  } catch {
    return String(v) // a cyclic host object: cannot be JSON anyway
  }
}

/**
 * COUNT() counts rows. SUM, AVG, MIN and MAX consider only the rows where their argument is a number (as IoT Hub
 * ignores other types); with no such rows SUM is 0 and the others are undefined (left out of the row).
 */
function aggregateValue(item: Extract<SelectItem, { kind: 'aggregate' }>, rows: readonly Row[]): QueryValue {
  if (item.fn === 'COUNT') return rows.length
  const arg = item.arg
  const nums: number[] = []
  for (const row of rows) {
    const v = arg ? evaluate(arg, twinResolver(row)) : undefined
    if (typeof v === 'number') nums.push(v)
  }
  const sum = nums.reduce((a, b) => a + b, 0)
  switch (item.fn) {
    case 'SUM':
      return Number.isFinite(sum) ? sum : undefined
    case 'AVG':
      return nums.length && Number.isFinite(sum) ? sum / nums.length : undefined
    case 'MIN':
      return nums.length ? nums.reduce((a, b) => Math.min(a, b)) : undefined
    case 'MAX':
      return nums.length ? nums.reduce((a, b) => Math.max(a, b)) : undefined
  }
}
