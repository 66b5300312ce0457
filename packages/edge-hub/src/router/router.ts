/**
 * The router: the routes of the `$edgeHub` desired properties decide which endpoints a message goes to; the message
 * is stored once with a queue reference per endpoint (at the route's priority, with the route's TTL or the
 * store-and-forward default) before the sender gets its PUBACK; one executor per endpoint drains its queues.
 *
 * Until the first configuration is known (from the cloud, or the copy saved at the last run), `route` waits: a
 * message must not be acknowledged and then dropped for want of routes.
 */
import type { Clock, Logger } from '@ledge/common'
import { matchRoutes, sinkId, type EdgeHubRoutes, type NamedRoute, type RoutableMessage, type RouteSink } from '@ledge/protocol'
import type { MessageStore, QueueTarget } from '../store/message-store.js'
import { StreamExecutor, type StreamExecutorOptions } from '../store/stream-executor.js'

/**
 * How an endpoint is delivered to: the options of its stream executor (a window of single deliveries, see
 * stream-executor.ts), minus the store and id.
 */
export type EndpointSpec = Omit<StreamExecutorOptions, 'store' | 'endpointId'>

/** What an endpoint needs to run. */
export type EndpointFactory = (sink: RouteSink, endpointId: string) => EndpointSpec

export interface RouterOptions {
  store: MessageStore
  endpoints: EndpointFactory
  clock: Clock
  log: Logger
  /** Counts a message routed by a route (the per-route counter). */
  onRouted?: (route: NamedRoute) => void
  /** A message that matched no route (IoT Edge drops it). */
  onUnrouted?: (message: RoutableMessage) => void
}

export class Router {
  private routes: NamedRoute[] = []
  private defaultTtlSecs = 7200
  private readonly executors = new Map<string, { executor: StreamExecutor }>()
  private configured: Promise<void>
  private markConfigured!: () => void
  private closed = false

  constructor(private readonly o: RouterOptions) {
    this.configured = new Promise((resolve) => (this.markConfigured = resolve))
  }

  /**
   * Applies a routing configuration: new endpoints get an executor; endpoints no route uses any more are stopped and
   * their queues removed (what they held is dropped, as in IoT Edge). A configuration without a schema version is
   * ignored (the caller reports its errors): the current routes stay.
   */
  async configure(config: EdgeHubRoutes): Promise<void> {
    if (config.schemaVersion === undefined || this.closed) return
    this.routes = config.routes
    this.defaultTtlSecs = config.storeAndForward.timeToLiveSecs
    const wanted = new Map<string, RouteSink>()
    for (const r of config.routes) wanted.set(sinkId(r.sink), r.sink)
    for (const [id, sink] of wanted) {
      if (this.executors.has(id)) continue
      const executor = new StreamExecutor({ ...this.o.endpoints(sink, id), store: this.o.store, endpointId: id })
      this.executors.set(id, { executor })
      executor.start()
    }
    for (const [id, entry] of [...this.executors]) {
      if (wanted.has(id)) continue
      this.executors.delete(id)
      await entry.executor.stop()
      for (const q of this.o.store.stats().queues) if (q.endpointId === id) await this.o.store.removeQueue(id, q.priority)
      this.o.log.info({ event: 'router.endpoint_removed', endpointId: id }, `endpoint ${id} is no longer in the routes: its queue was removed`)
    }
    this.o.log.info({ event: 'router.configured', routes: config.routes.length, endpoints: wanted.size, timeToLiveSecs: this.defaultTtlSecs }, 'routes applied')
    this.markConfigured()
  }

  get currentRoutes(): readonly NamedRoute[] {
    return this.routes
  }

  /**
   * Stores `message` for every endpoint its routes reach; resolves with the number of queues once it is durable, and
   * no endpoint it went to lags too far behind its receiver (back-pressure: the sender's PUBACK waits).
   */
  async route(message: RoutableMessage): Promise<number> {
    await this.configured
    const matched = matchRoutes(this.routes, message)
    if (matched.length === 0) {
      this.o.onUnrouted?.(message)
      return 0
    }
    const now = this.o.clock.now()
    const messageExpiry = message.systemProperties.expiryTimeUtc ? Date.parse(message.systemProperties.expiryTimeUtc) : Infinity
    const targets: QueueTarget[] = matched.map((r) => ({
      endpointId: sinkId(r.sink),
      priority: r.priority,
      expiresAt: Math.min(now + (r.timeToLiveSecs || this.defaultTtlSecs) * 1000, Number.isNaN(messageExpiry) ? Infinity : messageExpiry),
    }))
    const stored = await this.o.store.add(message, targets)
    for (const r of matched) this.o.onRouted?.(r)
    let holds: Promise<void>[] | undefined
    for (const t of targets) {
      const executor = this.executors.get(t.endpointId)?.executor
      if (!executor) continue
      executor.notify()
      const hold = executor.holdSender()
      if (hold) (holds ??= []).push(hold)
    }
    if (holds) await Promise.all(holds)
    return stored.queued
  }

  /** An endpoint became reachable: its executor retries now instead of finishing its back-off. */
  retryNow(endpointId: string): void {
    this.executors.get(endpointId)?.executor.retryNow()
  }

  /** The executors, for metrics. */
  endpointStats(): { endpointId: string; sent: number; retries: number; deadLettered: number; expired: number }[] {
    return [...this.executors].map(([endpointId, e]) => ({ endpointId, ...e.executor.stats }))
  }

  async close(): Promise<void> {
    this.closed = true
    this.markConfigured()
    await Promise.all([...this.executors.values()].map((e) => e.executor.stop()))
    this.executors.clear()
  }
}
