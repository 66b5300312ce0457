/**
 * The hub, composed: storage, certificates, services, the MQTT/TLS listener and the HTTPS listener (REST and MQTT
 * over WebSockets). `startHub` is what `ledge hub start` and the tests run.
 */
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { systemClock, type Clock, type Logger } from '@ledge/common'
import { formatServiceConnectionString, HUB_INFO_FILE, validateDeploymentManifest, type HubInfoFile } from '@ledge/protocol'
import type { HubStore } from '@ledge/storage'
import { ensureHubCertificates } from '@ledge/pki'
import { certificateNames, type HubSettings } from './config.js'
import { describeHubStore, openHubStore } from './store.js'
import { ensureDefaultPolicies } from './policies.js'
import { Presence } from './presence/presence.js'
import { RegistryService } from './registry/registry-service.js'
import { TwinService } from './twins/twin-service.js'
import { QueryService } from './twins/query-service.js'
import { MethodService } from './methods/method-service.js'
import { C2dService } from './c2d/c2d-service.js'
import { EventStream } from './events/event-stream.js'
import { Authenticator } from './auth/authenticator.js'
import { DeviceLinks } from './links/device-links.js'
import { attachMqttWebSocket, ConnectionSet, createMqttTlsServer, listen, SessionStore } from '@ledge/mqtt-server'
import { MqttConnection } from './mqtt/connection.js'
import { buildHttpApp } from './http/app.js'
import { ConfigurationService } from './edge/configuration-service.js'
import { DeploymentService } from './deployments/deployment-service.js'
import { TargetEngine } from './deployments/target-engine.js'
import { DpsService } from './dps/dps-service.js'

export interface RunningHub {
  readonly hostName: string
  readonly bind: string
  readonly httpsPort: number
  readonly mqttPort: number
  readonly caPem: string
  readonly caFile: string
  /** Where the registry, twins and events are kept: the SQLite file, or the PostgreSQL URL (no password) and schema. */
  readonly storeLocation: string
  readonly serviceConnectionString: string
  readonly http: FastifyInstance
  close(): Promise<void>
}

export { WEBSOCKET_PATH } from '@ledge/mqtt-server'

export async function startHub(settings: HubSettings, opts: { log: Logger; clock?: Clock; store?: HubStore }): Promise<RunningHub> {
  const log = opts.log
  const clock = opts.clock ?? systemClock
  const dataDir = resolve(settings.dataDir)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })

  const names = certificateNames(settings)
  const certs = await ensureHubCertificates({
    dir: dataDir,
    hostNames: names.hostNames,
    ipAddresses: names.ipAddresses,
    ...(settings.caCertFile && settings.caKeyFile ? { userCa: { certFile: settings.caCertFile, keyFile: settings.caKeyFile } } : {}),
    ...(settings.serverCertFile && settings.serverKeyFile ? { userServer: { certFile: settings.serverCertFile, keyFile: settings.serverKeyFile } } : {}),
  })
  if (certs.generated) log.info({ event: 'hub.certificates_created', caFile: certs.caFile, ...names }, 'created the hub CA and server certificate')

  const store = opts.store ?? (await openHubStore(settings, dataDir, log))
  const policies = await ensureDefaultPolicies(store.policies)
  const owner = policies.find((p) => p.keyName === 'iothubowner')!

  const links = new DeviceLinks()
  const sessions = new SessionStore({ repository: store.sessions, log: log.child({ component: 'sessions' }) })
  const presence = new Presence({ identities: store.identities, clock, log: log.child({ component: 'presence' }) })
  const c2dCount = (deviceId: string): Promise<number> => store.c2d.count(deviceId, clock.now())
  const registry = new RegistryService({
    identities: store.identities, presence, clock, log: log.child({ component: 'registry' }), c2dCount,
    events: {
      identityRevoked(deviceId, moduleId) {
        links.get(deviceId, moduleId)?.close('the identity was deleted, disabled or given new keys')
      },
      async identityDeleted(deviceId, moduleId) {
        await sessions.discard(deviceId, moduleId)
        if (!moduleId) await store.c2d.purge(deviceId)
        if (!moduleId) targets.deviceDeleted(deviceId)
      },
      deviceChanged: (deviceId) => targets.deviceChanged(deviceId),
    },
  })
  const twins = new TwinService({
    registry, presence, clock, c2dCount,
    events: {
      desiredChanged: (d, m, patch) => links.get(d, m)?.sendDesiredPatch(patch),
      twinChanged: (d, m) => { if (m === null) targets.deviceChanged(d) },
    },
  })
  const configurations = new ConfigurationService({
    registry, twins,
    validate: (body) => {
      const r = validateDeploymentManifest(body)
      return r.ok ? [] : r.problems
    },
  })
  const query = new QueryService({ identities: store.identities, presence })
  const targets = new TargetEngine({
    identities: store.identities, presence, log: log.child({ component: 'deployments' }),
    write: (deviceId, desired) => configurations.writeModulesContent(deviceId, desired),
  })
  const deployments = new DeploymentService({ repository: store.configurations, identities: store.identities, engine: targets, presence, clock, log: log.child({ component: 'deployments' }) })
  await deployments.start()
  const methods = new MethodService({
    links, log: log.child({ component: 'methods' }),
    identityExists: async (d, m) => (await store.identities.get(d, m)) !== undefined,
  })
  const c2d = new C2dService({
    queue: store.c2d, links, clock, log: log.child({ component: 'c2d' }),
    deviceExists: async (d) => (await store.identities.get(d)) !== undefined,
  })
  const events = new EventStream({
    log: store.events, clock, logger: log.child({ component: 'events' }),
    retention: { retentionMs: settings.retentionHours * 3600_000, maxBytes: settings.retentionMaxBytes, intervalMs: 60_000 },
  })
  const authenticator = new Authenticator({ hostNames: [settings.hostName, ...settings.extraHostNames, ...names.hostNames, ...names.ipAddresses], policies: store.policies, clock })
  const dps = new DpsService({
    repo: store.dps, registry, twins, clock, log: log.child({ component: 'dps' }),
    hostName: settings.hostName, retryAfterSeconds: settings.dpsRetryAfterSeconds,
  })
  await dps.init()
  const gatewayDeps = { dps, registry, twins, methods, c2d, events, authenticator, presence, links, sessions, clock, log: log.child({ component: 'mqtt' }) }
  const gateway = new ConnectionSet((stream, remote) => new MqttConnection(stream, gatewayDeps, remote))

  presence.start()
  c2d.start()
  events.start()

  const http = await buildHttpApp(
    {
      registry, twins, query, methods, c2d, events, authenticator,
      health: () => ({ connectedClients: links.size, mqttConnections: gateway.size, uptimeSeconds: Math.round(process.uptime()) }),
      pingStore: () => store.ping(),
    },
    { log, policies: store.policies, configurations, dps, deployments, https: { key: certs.serverKeyPem, cert: certs.serverCertPem } },
  )

  // MQTT over WebSockets shares the HTTPS listener (the SDK always dials 443).
  const closeWebSockets = attachMqttWebSocket(http.server, gateway)
  const mqttServer = createMqttTlsServer({ key: certs.serverKeyPem, cert: certs.serverCertPem }, gateway, log)

  try {
    await http.listen({ host: settings.bind, port: settings.httpsPort })
    await listen(mqttServer, settings.mqttPort, settings.bind)
  } catch (err) {
    await http.close().catch(() => undefined)
    await store.close()
    throw err
  }
  const httpsPort = (http.server.address() as AddressInfo).port
  const mqttPort = (mqttServer.address() as AddressInfo).port
  const serviceConnectionString = formatServiceConnectionString({ hostName: settings.hostName, sharedAccessKeyName: owner.keyName, sharedAccessKey: owner.primaryKey })

  const info: HubInfoFile = { hostName: settings.hostName, bind: settings.bind, httpsPort, mqttPort, caFile: certs.caFile, serviceConnectionString, pid: process.pid }
  const infoFile = join(dataDir, HUB_INFO_FILE)
  writeFileSync(infoFile, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
  chmodSync(infoFile, 0o600)
  const storeLocation = opts.store ? 'a store the caller opened' : describeHubStore(settings, dataDir)
  log.info({ event: 'hub.started', hostName: settings.hostName, bind: settings.bind, httpsPort, mqttPort, dataDir, store: storeLocation }, `hub '${settings.hostName}' listening: https ${settings.bind}:${httpsPort}, mqtts ${settings.bind}:${mqttPort}`)

  let closing: Promise<void> | undefined
  return {
    hostName: settings.hostName, bind: settings.bind, httpsPort, mqttPort,
    caPem: certs.caPem, caFile: certs.caFile, storeLocation, serviceConnectionString, http,
    close() {
      closing ??= (async () => {
        log.info({ event: 'hub.stopping' }, 'hub stopping')
        mqttServer.close()
        // No new requests; the open SSE streams and keep-alive sockets are closed with it.
        const httpClosed = http.close()
        gateway.closeAll('the hub is shutting down')
        closeWebSockets()
        methods.close()
        c2d.stop()
        await targets.stop()
        await events.drain()
        await presence.stop()
        http.server.closeAllConnections?.()
        await httpClosed
        await store.close()
        log.info({ event: 'hub.stopped' }, 'hub stopped')
      })()
      return closing
    },
  }
}
