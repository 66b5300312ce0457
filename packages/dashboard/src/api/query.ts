/**
 * Builds the twin queries the pages send to `POST /devices/query`: the filter runs on the hub (server-side), so a
 * fleet of 10,000 devices is paged, never downloaded.
 */

export interface DeviceFilter {
  /** Part of the device id (CONTAINS). */
  search?: string
  connected?: 'any' | 'connected' | 'disconnected'
  edge?: 'any' | 'edge' | 'leaf'
  /** `name=value` pairs separated by commas; a bare `name` means the tag is present. */
  tags?: string
}

/** A string literal of the query language (quote doubled, backslash escaped). */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`
}

const TAG_NAME = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/

/** A tag path as the query language reads it (`tags.a.b`, or `tags['odd name']`). */
function tagPath(name: string): string {
  return TAG_NAME.test(name) && !name.includes('-') ? `tags.${name}` : `tags[${quote(name)}]`
}

/** A literal for a tag value: numbers and booleans as such, anything else as a string. */
function literal(v: string): string {
  if (/^-?\d+(\.\d+)?$/.test(v)) return v
  if (v === 'true' || v === 'false' || v === 'null') return v
  return quote(v.replace(/^(['"])(.*)\1$/, '$2'))
}

export class FilterError extends Error {
  override name = 'FilterError'
}

/** The conditions of a filter, ANDed; throws {@link FilterError} for a tag filter it cannot read. */
export function deviceConditions(f: DeviceFilter): string[] {
  const c: string[] = []
  const search = f.search?.trim()
  if (search) c.push(`CONTAINS(deviceId, ${quote(search)})`)
  if (f.connected === 'connected') c.push("connectionState = 'Connected'")
  if (f.connected === 'disconnected') c.push("connectionState = 'Disconnected'")
  if (f.edge === 'edge') c.push('capabilities.iotEdge = true')
  if (f.edge === 'leaf') c.push('NOT (capabilities.iotEdge = true)')
  for (const part of (f.tags ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().replace(/^tags\./, '')
    if (!name) throw new FilterError(`'${part}' has no tag name: write name=value, e.g. location=lobby`)
    c.push(eq < 0 ? `IS_DEFINED(${tagPath(name)})` : `${tagPath(name)} = ${literal(part.slice(eq + 1).trim())}`)
  }
  return c
}

export function whereClause(conditions: string[]): string {
  return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''
}

export function devicesQuery(f: DeviceFilter): string {
  return `SELECT * FROM devices${whereClause(deviceConditions(f))}`
}

export function devicesCountQuery(f: DeviceFilter): string {
  return `SELECT COUNT() AS total FROM devices${whereClause(deviceConditions(f))}`
}

/** The module twins of one device (one query instead of one GET per module). */
export function moduleTwinsQuery(deviceId: string): string {
  return `SELECT * FROM devices.modules WHERE deviceId = ${quote(deviceId)}`
}

/** The `$edgeAgent` twins of edge devices, for the deployments overview. */
export function edgeAgentTwinsQuery(search?: string): string {
  const c = ["moduleId = '$edgeAgent'"]
  if (search?.trim()) c.push(`CONTAINS(deviceId, ${quote(search.trim())})`)
  return `SELECT * FROM devices.modules${whereClause(c)}`
}
