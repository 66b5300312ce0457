/**
 * The edge hub, composed: the message store, the router and its endpoints, the local twins, methods and C2D, the
 * MQTT head on TLS (8883) and WebSockets (443, beside the method endpoint) and Prometheus metrics (9600). The cloud
 * side (the upstream link, the device scope that authenticates clients) is given as ports, so the same composition
 * runs in the edge hub process (main.ts) and in tests.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { systemClock, type Clock, type Logger } from '@ledge/common'
import { attachMqttWebSocket, ConnectionSet, createMqttTlsServer, listen, SessionStore } from '@ledge/mqtt-server'
import { ConnectedClients } from './broker/clients.js'
import { EdgeConnection } from './broker/connection.js'
import { LeafC2d } from './broker/leaf-c2d.js'
import { SessionFile } from './broker/session-file.js'
import type { BrokerDeps } from './broker/deps.js'
import { DesiredConfig } from './config/desired-config.js'
import { handleMethodRequest } from './http/method-endpoint.js'
import { identityOf, type ClientIdentity } from './identity.js'
import { MethodRouter } from './methods/method-router.js'
import { EdgeHubMetrics } from './metrics/metrics.js'
import type { ClientAuthenticator, CloudLink } from './ports.js'
import { moduleInputTarget } from './router/module-input-target.js'
import { Router } from './router/router.js'
import type { StreamTarget } from './store/stream-executor.js'
import type { MessageStore } from './store/message-store.js'
import { LocalTwins } from './twins/local-twins.js'
import { TwinCache } from './twins/twin-cache.js'

export interface EdgeHubOptions {
  iothubHostname: string
  edgeDeviceId: string
  /** The edge hub's own module id (`$edgeHub`). */
  moduleId?: string
  bind: string
  mqttPort: number
  httpsPort: number
  /** Prometheus metrics on plain HTTP; undefined = not served. */
  metricsPort?: number
  metricsBind?: string
  /** Sessions, twin cache and the saved configuration live here (the store is opened by the caller). */
  stateDir: string
  tls: { key: string; cert: string }
  store: MessageStore
  cloud: CloudLink
  auth: ClientAuthenticator
  /** The `$upstream` endpoint (upstream/upstream-target.ts). */
  upstreamTarget: StreamTarget
  /** How long a module input's endpoint waits for its module before retrying. Default 5000 ms. */
  moduleWaitMs?: number
  clock?: Clock
  log: Logger
}

export interface RunningEdgeHub {
  readonly mqttPort: number
  readonly httpsPort: number
  readonly metricsPort: number | undefined
  readonly router: Router
  readonly metrics: EdgeHubMetrics
  readonly clients: ConnectedClients
  close(): Promise<void>
}

export async function startEdgeHub(o: EdgeHubOptions): Promise<RunningEdgeHub> {
  const clock = o.clock ?? systemClock
  const log = o.log
  const moduleId = o.moduleId ?? '$edgeHub'
  const metrics = new EdgeHubMetrics({ iothub: o.iothubHostname, edgeDevice: o.edgeDeviceId })
  const clients = new ConnectedClients()
  metrics.attach({ store: o.store, connectedClients: () => clients.size })
  o.cloud.onStatus((online) => {
    if (!online) metrics.wentOffline()
    log.info({ event: online ? 'upstream.online' : 'upstream.offline' }, online ? 'the link to the hub is up' : 'the link to the hub is down: messages are stored until it returns')
  })

  const router = new Router({
    store: o.store, clock, log: log.child({ component: 'router' }),
    onRouted: (route) => metrics.routeTaken(route.name),
    onUnrouted: (m) => metrics.unrouted(identityOf(m.systemProperties.connectionDeviceId ?? '', m.systemProperties.connectionModuleId)),
    endpoints: (sink, endpointId) => {
      if (sink.kind === 'upstream') {
        // A stream too (iotedge sends batches of 10): a backlog drains at the hub's pace, not one round trip per
        // batch. A failure backs off from 1 s doubling to 60 s; the link coming back cuts it short (below).
        return {
          target: o.upstreamTarget, onDelivered: (m) => metrics.delivered(endpointId, m),
          backoff: { initialMs: 1000, maxMs: 60_000, jitter: 0.5 }, hold: false, clock, logger: log.child({ component: 'endpoint', endpointId }),
        }
      }
      // A stream, not stop-and-wait batches: the next PUBLISH leaves as each PUBACK arrives (see stream-executor.ts).
      return {
        target: moduleInputTarget({ clients, edgeDeviceId: o.edgeDeviceId, module: sink.module, input: sink.input, waitMs: o.moduleWaitMs ?? 5000 }),
        onDelivered: (m) => metrics.delivered(endpointId, m),
        // A module that is not there yet is waited for by the target itself; the back-off only spaces out the waits.
        backoff: { initialMs: 100, maxMs: 2000, jitter: 0.5 },
        clock,
        logger: log.child({ component: 'endpoint', endpointId }),
      }
    },
  })

  // The backlog drains as soon as the link is back, not when the upstream endpoint's back-off runs out.
  o.cloud.onStatus((online) => {
    if (online) router.retryNow('$upstream')
  })

  const twins = new LocalTwins({
    cloud: o.cloud, cache: new TwinCache(join(o.stateDir, 'twins.json'), log), clients, log: log.child({ component: 'twins' }),
    notify: (message) => router.route(message),
    onReported: (id, queued) => metrics.reportedUpdated(id, queued),
  })
  const methods = new MethodRouter({ cloud: o.cloud, clients, log: log.child({ component: 'methods' }), onInvoked: (target) => metrics.methodInvoked('cloud', target) })
  const c2d = new LeafC2d({ cloud: o.cloud, clients, log: log.child({ component: 'c2d' }) })
  const sessions = new SessionStore({ repository: new SessionFile(join(o.stateDir, 'sessions.json')), log: log.child({ component: 'sessions' }) })
  const deps: BrokerDeps = { auth: o.auth, sessions, clients, router, twins, methods, c2d, metrics, edgeDeviceId: o.edgeDeviceId, clock, log: log.child({ component: 'mqtt' }) }
  const connections = new ConnectionSet((stream, remote) => new EdgeConnection(stream, deps, remote))

  const desired = new DesiredConfig({
    cloud: o.cloud, identity: { deviceId: o.edgeDeviceId, moduleId }, file: join(o.stateDir, 'edgehub-desired.json'),
    apply: (config) => router.configure(config), log: log.child({ component: 'config' }),
  })

  const methodEndpoint = { auth: o.auth, methods, edgeDeviceId: o.edgeDeviceId, log, onInvoked: (caller: string, target: ClientIdentity) => metrics.methodInvoked(caller, target) }
  const https: HttpsServer = createHttpsServer({ key: o.tls.key, cert: o.tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    if (handleMethodRequest(methodEndpoint, req, res)) return
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: `no such resource: ${req.method} ${(req.url ?? '').split('?')[0]}` }))
  })
  const closeWebSockets = attachMqttWebSocket(https, connections)
  const mqtt = createMqttTlsServer(o.tls, connections, log)
  let metricsServer: HttpServer | undefined
  if (o.metricsPort !== undefined) {
    metricsServer = createHttpServer((req, res) => {
      if ((req.url ?? '').split('?')[0] !== '/metrics') return void res.writeHead(404).end()
      void metrics.render().then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body))
    })
  }

  await desired.start()
  await listen(mqtt, o.mqttPort, o.bind)
  await listen(https, o.httpsPort, o.bind)
  if (metricsServer) await listen(metricsServer, o.metricsPort!, o.metricsBind ?? o.bind)
  const mqttPort = (mqtt.address() as AddressInfo).port
  const httpsPort = (https.address() as AddressInfo).port
  const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : undefined
  log.info({ event: 'edgehub.started', bind: o.bind, mqttPort, httpsPort, metricsPort, store: o.store.engine }, `edge hub listening: mqtts ${o.bind}:${mqttPort}, https ${o.bind}:${httpsPort}${metricsPort ? `, metrics :${metricsPort}` : ''}`)

  let closing: Promise<void> | undefined
  return {
    mqttPort, httpsPort, metricsPort, router, metrics, clients,
    close() {
      closing ??= (async () => {
        desired.stop()
        mqtt.close()
        https.close()
        metricsServer?.close()
        connections.closeAll('the edge hub is shutting down')
        closeWebSockets()
        https.closeAllConnections()
        metricsServer?.closeAllConnections()
        await router.close()
        twins.close()
        log.info({ event: 'edgehub.stopped' }, 'edge hub stopped')
      })()
      return closing
    },
  }
}
