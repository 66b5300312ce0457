/**
 * An edge hub in this process against a real test hub: its own loopback address with the standard ports (8883, 443:
 * the SDKs dial nothing else through a gateway), a server certificate from the test CA, the real device scope and
 * upstream link, and a real message store. SDK clients in the test connect with `GatewayHostName=<edge address>`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, silentLogger, type Logger } from '@ledge/common'
import { createIdentitySasToken, formatDeviceConnectionString } from '@ledge/protocol'
import { issueServerCertificate } from '@ledge/pki'
import { freeLoopbackAddress, rest, testCaFiles, type TestHub } from '@ledge/testkit'
import { startEdgeHub, type RunningEdgeHub } from '../src/edge-hub.js'
import { createDeviceScopeCache, type DeviceScopeCache } from '../src/scope/device-scope-cache.js'
import { scopeAuthenticator } from '../src/scope/scope-authenticator.js'
import { openMessageStore } from '../src/store/open-message-store.js'
import type { MessageStore, MessageStoreOptions } from '../src/store/message-store.js'
import { scopeTokenSource } from '../src/upstream/token-source.js'
import { Upstream } from '../src/upstream/upstream.js'
import { upstreamSink } from '../src/upstream/upstream-sink.js'

export interface TestEdgeHub {
  host: string
  edge: RunningEdgeHub
  upstream: Upstream
  scope: DeviceScopeCache
  store: MessageStore
  dir: string
  /** A device or module connection string through this edge hub. */
  connectionString(deviceId: string, key: string, moduleId?: string): string
  /** Stops the edge hub, keeping its folder (a restart reuses it). */
  stop(): Promise<void>
  close(): Promise<void>
}

function logger(): Logger {
  return process.env.LEDGE_TEST_LOG ? createLogger({ name: 'test-edge-hub', level: process.env.LEDGE_TEST_LOG }) : silentLogger()
}

export async function startTestEdgeHub(
  th: TestHub,
  edgeDeviceId: string,
  o: { dir?: string; host?: string; hubMqttPort?: number; store?: Partial<MessageStoreOptions> } = {},
): Promise<TestEdgeHub> {
  const host = o.host ?? (await freeLoopbackAddress(8883))
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'ledge-edgehub-')))
  const ca = testCaFiles()
  const server = await issueServerCertificate(
    { certificate: await readFile(ca.certFile, 'utf8'), privateKey: await readFile(ca.keyFile, 'utf8') },
    { commonName: host, dnsNames: [], ipAddresses: [host], validityDays: 1 },
  )
  const edgeHubKey = (await rest(th, 'GET', `/devices/${edgeDeviceId}/modules/${encodeURIComponent('$edgeHub')}`)).body.authentication.symmetricKey.primaryKey as string
  const ownToken = async (): Promise<string> =>
    createIdentitySasToken({ hostName: th.host, deviceId: edgeDeviceId, moduleId: '$edgeHub', keyBase64: edgeHubKey, expiresAt: Date.now() / 1000 + 3600 })
  const log = logger()
  const scope = createDeviceScopeCache({ hubHostname: th.host, edgeDeviceId, tokenSource: ownToken, ca: th.caPem, file: join(dir, 'scope.json'), logger: log })
  await scope.start()
  const upstream = new Upstream({
    hubHostname: th.host, gateway: `${th.host}:${o.hubMqttPort ?? th.hub.mqttPort}`, ca: th.caPem, logger: log, transport: 'mqtts',
    backoff: { initialMs: 200, maxMs: 1000, jitter: 0.5 },
    tokenFor: scopeTokenSource({ hubHostname: th.host, edgeDeviceId, edgeHubToken: ownToken, scope }),
  })
  const store = await openMessageStore({ dir: join(dir, 'store'), durability: 'os', minFreeDiskBytes: 0, logger: log, ...o.store })
  const edge = await startEdgeHub({
    iothubHostname: th.host, edgeDeviceId, bind: host, mqttPort: 8883, httpsPort: 443, metricsPort: 0, stateDir: dir,
    tls: { key: server.privateKey, cert: server.chain }, store, cloud: upstream, auth: scopeAuthenticator(scope),
    upstreamSink: upstreamSink(upstream), moduleWaitMs: 1000, log,
  })
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => (stopped ??= (async () => {
    await edge.close()
    await upstream.close()
    await scope.stop()
    await store.close()
  })())
  return {
    host, edge, upstream, scope, store, dir, stop,
    connectionString: (deviceId, key, moduleId) =>
      formatDeviceConnectionString({ hostName: th.host, deviceId, ...(moduleId ? { moduleId } : {}), sharedAccessKey: key, gatewayHostName: host }),
    async close() {
      await stop()
      if (!o.dir) await rm(dir, { recursive: true, force: true })
    },
  }
}
