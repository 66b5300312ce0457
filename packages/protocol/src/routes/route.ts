/**
 * Routes as IoT Edge's edgeHub has them: `[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>`, plus the name,
 * priority and time-to-live that the `$edgeHub` desired properties give each one.
 */
import type { Message } from '../message.js'
import type { Expr } from '../query/ast.js'

/** Where matching messages go: the cloud (`$upstream`) or a module input (`BrokeredEndpoint("/modules/m/inputs/i")`). */
export type RouteSink = { kind: 'upstream' } | { kind: 'module'; module: string; input: string }

/** A parsed route. */
export interface Route {
  /**
   * The source path as written (`/messages/modules/camera/outputs/*`): a prefix of message sources, see
   * {@link sourceMatches} and {@link RoutableMessage.source}.
   */
  source: string
  /** The WHERE condition (route dialect of the query language); absent when the route has none. */
  condition?: Expr
  /** The condition as written, trimmed, for logs and reports. */
  conditionText?: string
  sink: RouteSink
}

/** A named route from the `$edgeHub` desired properties. */
export interface NamedRoute extends Route {
  name: string
  /** 0 is the highest priority, 9 the lowest one can set; routes without one get {@link DEFAULT_ROUTE_PRIORITY}. */
  priority: number
  /** Per-route time-to-live (schema 1.1); absent (or 0 in the twin) means the store-and-forward default. */
  timeToLiveSecs?: number
  /** The route text as written. */
  text: string
}

/**
 * The priority of routes that set none (schema 1.0, or 1.1 without `priority`): below all of 0–9, as in IoT Edge
 * (Routing.Core RouteFactory.DefaultPriority, "half of uint.MaxValue, rounded down to an even 2bn").
 */
export const DEFAULT_ROUTE_PRIORITY = 2_000_000_000

/** `storeAndForwardConfiguration.timeToLiveSecs` when the desired properties do not set it (the portal's default). */
export const DEFAULT_TIME_TO_LIVE_SECS = 7200

/**
 * A message offered to the routes: a {@link Message} plus the source path it comes from. Ledge gives each kind of
 * message the source IoT Edge gives it (Routing.Core `messageSources/`):
 * - telemetry from a device (a leaf device, or the edge device itself): `/messages/events` ({@link TELEMETRY_SOURCE});
 * - a module's output `o`: `/messages/modules/{m}/outputs/{o}`; a module message without an output name:
 *   `/messages/modules/{m}` ({@link moduleMessageSource});
 * - a twin change notification: `/twinChangeNotifications` ({@link TWIN_CHANGE_SOURCE}).
 * So `FROM /messages/*` takes device telemetry and module outputs alike; `WHERE NOT IS_DEFINED($connectionModuleId)`
 * keeps only device telemetry (or use `FROM /messages/events`, a Ledge addition to the documented sources).
 */
export interface RoutableMessage extends Message {
  source: string
}
