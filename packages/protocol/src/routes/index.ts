/**
 * IoT Edge routes: the route language (`FROM <source> [WHERE <condition>] INTO <sink>`), the routes of the
 * `$edgeHub` desired properties, and the evaluator that picks the routes (one per sink) for a message.
 * Conditions are the query language's route dialect (../query). DEFAULT_ROUTE_PRIORITY (2,000,000,000) is
 * exported by ../edge/manifest.ts.
 */
export { MAX_ROUTE_PRIORITY, parseEdgeHubRoutes, type EdgeHubRoutes, type EdgeHubRoutesError, type EdgeHubSchemaVersion } from './edgehub-routes.js'
export { isRouteParseError, RouteParseError, type RouteClause } from './errors.js'
export { matchRoutes } from './match-routes.js'
export { parseRoute } from './parse-route.js'
export { DEFAULT_TIME_TO_LIVE_SECS, type NamedRoute, type RoutableMessage, type Route, type RouteSink } from './route.js'
export { formatSink, sinkId } from './sink.js'
export { messageSourceOf, moduleMessageSource, sourceMatches, TELEMETRY_SOURCE, TWIN_CHANGE_SOURCE } from './source.js'
