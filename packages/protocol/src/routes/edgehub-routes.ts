/**
 * The routing part of the `$edgeHub` module twin's desired properties (IoT Edge Hub.Core Config
 * EdgeHubDesiredProperties and EdgeHubDesiredProperties_1_1), compiled for the router:
 *
 *   { "schemaVersion": "1.1",
 *     "routes": { "<name>": "<route>" | { "route": "<route>", "priority": 0-9, "timeToLiveSecs": n } },
 *     "storeAndForwardConfiguration": { "timeToLiveSecs": 7200 } }
 *
 * Schema 1.0 routes are strings only; 1.1 adds the object form. 1.2 and 1.3 (which add `mqttBroker` and
 * `integrity`, not read here) route as 1.1 does. Unlike IoT Edge, which rejects the whole document over one bad
 * route, every problem is collected in `errors` (named after the route or property) and the rest still applies.
 * Keys starting with `$` (twin metadata such as `$version` and `$metadata`) are ignored at every level.
 *
 * The deployment-manifest checker (../edge/manifest.ts, parseEdgeHubDesired) validates the same document's shape
 * for the hub and the CLI; this module also parses each route, for the edge hub's router.
 */
import { RouteParseError } from './errors.js'
import { parseRoute } from './parse-route.js'
import { DEFAULT_ROUTE_PRIORITY, DEFAULT_TIME_TO_LIVE_SECS, type NamedRoute } from './route.js'

const SCHEMA_VERSIONS = ['1.0', '1.1', '1.2', '1.3'] as const
export type EdgeHubSchemaVersion = (typeof SCHEMA_VERSIONS)[number]

/** A problem with one route (`name` is the route's name) or with a property (`name` is its path). */
export interface EdgeHubRoutesError {
  name: string
  message: string
}

export interface EdgeHubRoutes {
  /**
   * The schema the document was read with. `undefined` when it is missing or unsupported: then nothing was
   * applied (`routes` is empty, as IoT Edge would reject the document) and a caller should keep its current routes.
   */
  schemaVersion: EdgeHubSchemaVersion | undefined
  /** The routes that parsed, in the document's order. */
  routes: NamedRoute[]
  errors: EdgeHubRoutesError[]
  storeAndForward: { timeToLiveSecs: number }
}

/** Highest priority number a route may set: 0 is the highest priority, 9 the lowest. */
export const MAX_ROUTE_PRIORITY = 9

/** IoT Edge stores TTLs as uint. */
const MAX_TTL_SECS = 0xffff_ffff

const TOP_LEVEL = new Set(['schemaVersion', 'routes', 'storeAndForwardConfiguration', 'mqttBroker', 'integrity'])
const ROUTE_KEYS = new Set(['route', 'priority', 'timeToLiveSecs'])

/** Reads the routes and store-and-forward TTL of `$edgeHub` desired properties; never throws. */
export function parseEdgeHubRoutes(desired: unknown): EdgeHubRoutes {
  const errors: EdgeHubRoutesError[] = []
  const config: EdgeHubRoutes = { schemaVersion: undefined, routes: [], errors, storeAndForward: { timeToLiveSecs: DEFAULT_TIME_TO_LIVE_SECS } }
  if (!isObject(desired)) {
    errors.push({ name: '$edgeHub', message: `the desired properties must be an object, not ${describe(desired)}` })
    return config
  }
  const version = desired.schemaVersion
  if (!SCHEMA_VERSIONS.includes(version as EdgeHubSchemaVersion)) {
    const what = version === undefined ? 'is missing' : `${describe(version)} is not supported`
    errors.push({ name: 'schemaVersion', message: `schemaVersion ${what}; expected one of ${SCHEMA_VERSIONS.map((v) => `"${v}"`).join(', ')}` })
    return config
  }
  config.schemaVersion = version as EdgeHubSchemaVersion

  for (const key of Object.keys(desired)) {
    if (!key.startsWith('$') && !TOP_LEVEL.has(key)) errors.push({ name: key, message: `unknown property; expected ${[...TOP_LEVEL].join(', ')}` })
  }
  config.storeAndForward.timeToLiveSecs = readStoreAndForward(desired.storeAndForwardConfiguration, errors)

  const routes = desired.routes
  if (routes === undefined || routes === null) return config
  if (!isObject(routes)) {
    errors.push({ name: 'routes', message: `routes must be an object of named routes, not ${describe(routes)}` })
    return config
  }
  for (const [name, value] of Object.entries(routes)) {
    // `$` keys are twin metadata; null is a route deleted by a desired-properties patch.
    if (name.startsWith('$') || value === null) continue
    const spec = readRoute(name, value, config.schemaVersion)
    if (typeof spec === 'string') errors.push({ name, message: spec })
    else config.routes.push(spec)
  }
  return config
}

/** A NamedRoute, or the reason there is none. */
function readRoute(name: string, value: unknown, version: EdgeHubSchemaVersion): NamedRoute | string {
  let text: unknown = value
  let priority = DEFAULT_ROUTE_PRIORITY
  let timeToLiveSecs: number | undefined
  if (typeof value !== 'string') {
    if (version === '1.0') return `a schema 1.0 route must be a string, not ${describe(value)}`
    if (!isObject(value)) return `a route must be a string or an object { route, priority, timeToLiveSecs }, not ${describe(value)}`
    const unknown = Object.keys(value).filter((k) => !k.startsWith('$') && !ROUTE_KEYS.has(k))
    if (unknown.length > 0) return `unknown route propert${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected route, priority, timeToLiveSecs`
    text = value.route
    if (typeof text !== 'string') return `"route" must be the route text, not ${describe(text)}`
    if (value.priority !== undefined && value.priority !== null) {
      if (!isIntegerIn(value.priority, 0, MAX_ROUTE_PRIORITY)) return `priority must be an integer from 0 (highest) to ${MAX_ROUTE_PRIORITY} (lowest), not ${describe(value.priority)}`
      priority = value.priority
    }
    if (value.timeToLiveSecs !== undefined && value.timeToLiveSecs !== null) {
      if (!isIntegerIn(value.timeToLiveSecs, 0, MAX_TTL_SECS)) return `timeToLiveSecs must be a whole number of seconds (0: the store-and-forward default), not ${describe(value.timeToLiveSecs)}`
      // 0 means "use the store-and-forward default", as in IoT Edge.
      if (value.timeToLiveSecs > 0) timeToLiveSecs = value.timeToLiveSecs
    }
  }
  const routeText = text as string
  try {
    const route = parseRoute(routeText)
    return { name, ...route, priority, ...(timeToLiveSecs !== undefined ? { timeToLiveSecs } : {}), text: routeText }
  } catch (err) {
    if (err instanceof RouteParseError) return err.message
    throw err
  }
}

function readStoreAndForward(value: unknown, errors: EdgeHubRoutesError[]): number {
  if (value === undefined || value === null) return DEFAULT_TIME_TO_LIVE_SECS
  if (!isObject(value)) {
    errors.push({ name: 'storeAndForwardConfiguration', message: `must be an object { timeToLiveSecs }, not ${describe(value)}; using ${DEFAULT_TIME_TO_LIVE_SECS}` })
    return DEFAULT_TIME_TO_LIVE_SECS
  }
  const ttl = value.timeToLiveSecs
  if (ttl === undefined || ttl === null) return DEFAULT_TIME_TO_LIVE_SECS
  if (!isIntegerIn(ttl, 0, MAX_TTL_SECS)) {
    errors.push({ name: 'storeAndForwardConfiguration.timeToLiveSecs', message: `must be a whole number of seconds, not ${describe(ttl)}; using ${DEFAULT_TIME_TO_LIVE_SECS}` })
    return DEFAULT_TIME_TO_LIVE_SECS
  }
  return ttl
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isIntegerIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)
  return String(v)
}
