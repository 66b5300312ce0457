/**
 * Prometheus metrics with the names and labels Azure IoT Edge's edge hub uses (so its dashboards and alerts work
 * unchanged), plus Ledge's per-route counter and store size. Every series carries `iothub`, `edge_device` and
 * `instance_number`, as Azure's do. Gauges are read from the store and the clients when scraped.
 */
import { randomUUID } from 'node:crypto'
import { Counter, Gauge, Registry } from 'prom-client'
import type { QueuedMessage } from '../store/message-store.js'
import type { MessageStore } from '../store/message-store.js'
import { identityKey, type ClientIdentity } from '../identity.js'

export interface MetricsSources {
  store: MessageStore
  connectedClients: () => number
}

export class EdgeHubMetrics {
  readonly registry = new Registry()
  private readonly received: Counter
  private readonly sent: Counter
  private readonly dropped: Counter
  private readonly routed: Counter
  private readonly getTwin: Counter
  private readonly reported: Counter
  private readonly methods: Counter
  private readonly offline: Counter
  private readonly connectFailed: Counter
  private sources: MetricsSources | undefined
  private lastExpired = 0
  private lastDropped = 0

  constructor(labels: { iothub: string; edgeDevice: string }) {
    this.registry.setDefaultLabels({ iothub: labels.iothub, edge_device: labels.edgeDevice, instance_number: randomUUID() })
    const r = [this.registry]
    this.received = new Counter({ name: 'edgehub_messages_received_total', help: 'Messages received from clients', labelNames: ['protocol', 'id'], registers: r })
    this.sent = new Counter({ name: 'edgehub_messages_sent_total', help: 'Messages sent to clients or upstream', labelNames: ['from', 'to', 'priority'], registers: r })
    this.dropped = new Counter({ name: 'edgehub_messages_dropped_total', help: 'Messages dropped (no route, expired, evicted by the store)', labelNames: ['reason', 'from'], registers: r })
    this.routed = new Counter({ name: 'edgehub_route_messages_total', help: 'Messages each route took (Ledge)', labelNames: ['route'], registers: r })
    this.getTwin = new Counter({ name: 'edgehub_gettwin_total', help: 'Twin requests', labelNames: ['source', 'id'], registers: r })
    this.reported = new Counter({ name: 'edgehub_reported_properties_total', help: 'Reported property updates', labelNames: ['target', 'id'], registers: r })
    this.methods = new Counter({ name: 'edgehub_direct_methods_total', help: 'Direct method calls', labelNames: ['source', 'target'], registers: r })
    this.offline = new Counter({ name: 'edgehub_offline_count_total', help: 'Times the edge hub lost its link to the cloud', labelNames: ['id'], registers: r })
    this.connectFailed = new Counter({ name: 'edgehub_client_connect_failed_total', help: 'Client connections refused', labelNames: ['id', 'reason'], registers: r })
    const self = this
    new Gauge({
      name: 'edgehub_queue_length', help: 'Messages waiting per endpoint and priority', labelNames: ['endpoint', 'priority'], registers: r,
      collect() {
        this.reset()
        for (const q of self.sources?.store.stats().queues ?? []) this.set({ endpoint: q.endpointId, priority: String(q.priority) }, q.length)
      },
    })
    new Gauge({
      name: 'edgehub_connected_clients', help: 'Clients connected to the edge hub', registers: r,
      collect() {
        this.set(self.sources?.connectedClients() ?? 0)
      },
    })
    new Gauge({
      name: 'edgehub_store_bytes', help: 'Bytes the message store uses on disk (Ledge)', registers: r,
      collect() {
        this.set(self.sources?.store.size() ?? 0)
      },
    })
  }

  attach(sources: MetricsSources): void {
    this.sources = sources
  }

  messageReceived(from: ClientIdentity): void {
    this.received.inc({ protocol: 'mqtt', id: identityKey(from.deviceId, from.moduleId) })
  }

  unrouted(from: ClientIdentity): void {
    this.dropped.inc({ reason: 'no_route', from: identityKey(from.deviceId, from.moduleId) })
  }

  routeTaken(route: string): void {
    this.routed.inc({ route })
  }

  connectRefused(id: string, reason: string): void {
    this.connectFailed.inc({ id, reason })
  }

  twinRequested(id: ClientIdentity): void {
    this.getTwin.inc({ source: 'edge', id: identityKey(id.deviceId, id.moduleId) })
  }

  reportedUpdated(id: ClientIdentity, queued: boolean): void {
    this.reported.inc({ target: queued ? 'queued' : 'upstream', id: identityKey(id.deviceId, id.moduleId) })
  }

  methodInvoked(source: string, target: ClientIdentity): void {
    this.methods.inc({ source, target: identityKey(target.deviceId, target.moduleId) })
  }

  wentOffline(): void {
    this.offline.inc({ id: '$edgeHub' })
  }

  /** One message an endpoint took (a module input on the module's PUBACK, `$upstream` on the hub's). */
  delivered(to: string, m: QueuedMessage): void {
    const from = identityKey(m.message.systemProperties.connectionDeviceId ?? '', m.message.systemProperties.connectionModuleId)
    this.sent.inc({ from, to, priority: String(m.priority) })
  }

  /** Carries the store's own drop counters (expired, evicted) into the counter, as deltas. */
  syncStoreCounters(): void {
    const s = this.sources?.store.stats()
    if (!s) return
    if (s.expired > this.lastExpired) this.dropped.inc({ reason: 'expired', from: '' }, s.expired - this.lastExpired)
    if (s.dropped > this.lastDropped) this.dropped.inc({ reason: 'store_full', from: '' }, s.dropped - this.lastDropped)
    this.lastExpired = s.expired
    this.lastDropped = s.dropped
  }

  async render(): Promise<{ contentType: string; body: string }> {
    this.syncStoreCounters()
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
