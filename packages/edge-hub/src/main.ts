/**
 * The edge hub process, as the edge runtime starts it for the `edgeHub` system module: settings from its
 * environment, its TLS certificate, SAS tokens and trust bundle from the daemon's workload API, the device scope and
 * the upstream link to the hub, the message store, then the broker. SIGTERM (the runtime's stop) closes it cleanly:
 * nothing stored is lost either way, and the store is crash-safe for `kill -9`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger, trimHeapWhenIdle } from '@ledge/common'
import { readSettings } from './config/settings.js'
import { startEdgeHub } from './edge-hub.js'
import { createDeviceScopeCache } from './scope/device-scope-cache.js'
import { openMessageStore } from './store/open-message-store.js'
import { Upstream } from './upstream/upstream.js'
import { upstreamTarget } from './upstream/upstream-target.js'
import { scopeTokenSource } from './upstream/token-source.js'
import { scopeAuthenticator } from './scope/scope-authenticator.js'
import { WorkloadClient } from './workload/workload-client.js'
import { identityTokens } from './workload/identity-tokens.js'

async function main(): Promise<void> {
  const settings = readSettings(process.env)
  const log = createLogger({ name: 'edgeHub', level: settings.logLevel })
  const heapTrim = trimHeapWhenIdle({
    onTrim: (before, after, shrunk) => log.debug({ event: 'edgehub.heap-trimmed', youngBytesBefore: before.sizeBytes, youngBytesAfter: after.sizeBytes, shrunk }, 'quiet again: minor GC asked for'),
  })
  const workload = new WorkloadClient(settings.workloadUri, settings.moduleId, settings.generationId)
  const [certificate, trustBundle] = await Promise.all([workload.serverCertificate(settings.edgeHostname), workload.trustBundle()])
  const ca = trustBundle + (settings.hubCaCertFile ? readFileSync(settings.hubCaCertFile, 'utf8') : '')
  const ownToken = identityTokens(workload, settings.iothubHostname, settings.edgeDeviceId)

  const scope = createDeviceScopeCache({
    hubHostname: settings.iothubHostname, edgeDeviceId: settings.edgeDeviceId, tokenSource: ownToken, ca,
    ...(settings.hubApiHost ? { apiHost: settings.hubApiHost } : {}),
    file: join(settings.storageFolder, 'scope.json'), logger: log.child({ component: 'scope' }),
  })
  await scope.start()
  const upstream = new Upstream({
    hubHostname: settings.iothubHostname, ca, logger: log.child({ component: 'upstream' }),
    ...(settings.upstreamGateway ? { gateway: settings.upstreamGateway } : {}),
    transport: settings.upstreamProtocol === 'Mqtt' ? 'mqtts' : settings.upstreamProtocol === 'MqttWs' ? 'wss' : 'auto',
    tokenFor: scopeTokenSource({ hubHostname: settings.iothubHostname, edgeDeviceId: settings.edgeDeviceId, edgeHubToken: ownToken, scope }),
  })
  const store = await openMessageStore({ dir: join(settings.storageFolder, 'store'), engine: settings.store.engine, maxBytes: settings.store.maxBytes, fullPolicy: settings.store.fullPolicy, durability: settings.store.durability, logger: log.child({ component: 'store' }) })
  const hub = await startEdgeHub({
    iothubHostname: settings.iothubHostname, edgeDeviceId: settings.edgeDeviceId, moduleId: settings.moduleId,
    bind: settings.bind, mqttPort: settings.mqttPort, httpsPort: settings.httpsPort, metricsPort: settings.metricsPort, metricsBind: settings.metricsBind,
    stateDir: settings.storageFolder,
    tls: { key: certificate.privateKey.bytes, cert: certificate.certificate },
    store, cloud: upstream, auth: scopeAuthenticator(scope), upstreamTarget: upstreamTarget(upstream), log,
  })

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ event: 'edgehub.stopping', signal }, `edge hub stopping (${signal})`)
    heapTrim.stop()
    void (async () => {
      await hub.close()
      await upstream.close()
      await scope.stop()
      await store.close()
      process.exit(0)
    })()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main().catch((err: unknown) => {
  process.stderr.write(`edge hub failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
