/**
 * Route evaluation: which routes take a message, as IoT Edge's Routing.Core Evaluator decides it.
 */
import { matches } from '../query/evaluate.js'
import { routeResolver } from '../query/route-resolver.js'
import type { RoutableMessage, Route, NamedRoute } from './route.js'
import { sinkId } from './sink.js'
import { sourceMatches } from './source.js'

/**
 * The routes that deliver `message`, at most one per sink. A route matches when its source is a prefix of the
 * message's source (see {@link sourceMatches}) and its condition, if any, is true (a condition that is false or
 * undefined, e.g. over a missing property, does not match). When several matching routes share a sink, the message
 * goes to that sink once, with the route of the highest priority (lowest number; the first in `routes` on a tie),
 * whose priority and time-to-live apply: IoT Edge groups results by endpoint the same way, and IoT Hub documents
 * "If a message matches multiple routes that point to the same endpoint, IoT Hub delivers the message to that
 * endpoint only once". The result keeps the order in which each sink was first matched.
 */
export function matchRoutes<R extends Route & Pick<NamedRoute, 'priority'>>(routes: readonly R[], message: RoutableMessage): R[] {
  // One resolver for all routes, so a JSON body is decoded at most once per message.
  const resolve = routeResolver(message)
  const bySink = new Map<string, R>()
  for (const route of routes) {
    if (!sourceMatches(route.source, message.source)) continue
    if (route.condition && !matches(route.condition, resolve)) continue
    const id = sinkId(route.sink)
    const current = bySink.get(id)
    if (!current || route.priority < current.priority) bySink.set(id, route)
  }
  return [...bySink.values()]
}
