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
import { upstreamTarget } from '../src/upstream/upstream-target.js'

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

export interface EdgeHubPartsOptions {
  hubHost: string
  hubMqttPort: number
  caPem: string
  edgeDeviceId: string
  /** The `$edgeHub` module's SAS key (the daemon's workload API signs with it in production). */
  edgeHubKey: string
  /** The edge hub's own loopback address (8883, 443). */
  host: string
  dir: string
  store?: Partial<MessageStoreOptions>
}

/** The edge hub's parts, composed as main.ts composes them, with a certificate from the test CA. */
export async function startEdgeHubParts(o: EdgeHubPartsOptions): Promise<Omit<TestEdgeHub, 'connectionString' | 'close'>> {
  const ca = testCaFiles()
  const server = await issueServerCertificate(
    { certificate: await readFile(ca.certFile, 'utf8'), privateKey: await readFile(ca.keyFile, 'utf8') },
    { commonName: o.host, dnsNames: [], ipAddresses: [o.host], validityDays: 1 },
  )
  const ownToken = async (): Promise<string> =>
    createIdentitySasToken({ hostName: o.hubHost, deviceId: o.edgeDeviceId, moduleId: '$edgeHub', keyBase64: o.edgeHubKey, expiresAt: Date.now() / 1000 + 3600 })
  const log = logger()
  const scope = createDeviceScopeCache({ hubHostname: o.hubHost, edgeDeviceId: o.edgeDeviceId, tokenSource: ownToken, ca: o.caPem, file: join(o.dir, 'scope.json'), logger: log, timeoutMs: 3000 })
  await scope.start()
  const upstream = new Upstream({
    hubHostname: o.hubHost, gateway: `${o.hubHost}:${o.hubMqttPort}`, ca: o.caPem, logger: log, transport: 'mqtts',
    backoff: { initialMs: 200, maxMs: 1000, jitter: 0.5 },
    tokenFor: scopeTokenSource({ hubHostname: o.hubHost, edgeDeviceId: o.edgeDeviceId, edgeHubToken: ownToken, scope }),
  })
  const store = await openMessageStore({ dir: join(o.dir, 'store'), durability: 'os', minFreeDiskBytes: 0, logger: log, ...o.store })
  const edge = await startEdgeHub({
    iothubHostname: o.hubHost, edgeDeviceId: o.edgeDeviceId, bind: o.host, mqttPort: 8883, httpsPort: 443, metricsPort: 0, stateDir: o.dir,
    tls: { key: server.privateKey, cert: server.chain }, store, cloud: upstream, auth: scopeAuthenticator(scope),
    upstreamTarget: upstreamTarget(upstream), moduleWaitMs: 1000, log,
  })
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => (stopped ??= (async () => {
    await edge.close()
    await upstream.close()
    await scope.stop()
    await store.close()
  })())
  return { host: o.host, edge, upstream, scope, store, dir: o.dir, stop }
}

/** The `$edgeHub` module key of an edge device, from the hub's registry. */
export async function edgeHubKeyOf(th: TestHub, edgeDeviceId: string): Promise<string> {
  return (await rest(th, 'GET', `/devices/${edgeDeviceId}/modules/${encodeURIComponent('$edgeHub')}`)).body.authentication.symmetricKey.primaryKey as string
}

export async function startTestEdgeHub(
  th: TestHub,
  edgeDeviceId: string,
  o: { dir?: string; host?: string; hubMqttPort?: number; store?: Partial<MessageStoreOptions> } = {},
): Promise<TestEdgeHub> {
  const host = o.host ?? (await freeLoopbackAddress(8883))
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'ledge-edgehub-')))
  const parts = await startEdgeHubParts({
    hubHost: th.host, hubMqttPort: o.hubMqttPort ?? th.hub.mqttPort, caPem: th.caPem, edgeDeviceId,
    edgeHubKey: await edgeHubKeyOf(th, edgeDeviceId), host, dir, ...(o.store ? { store: o.store } : {}),
  })
  return {
    ...parts,
    connectionString: (deviceId, key, moduleId) => edgeConnectionString(th.host, host, deviceId, key, moduleId),
    async close() {
      await parts.stop()
      if (!o.dir) await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A device or module connection string through the edge hub at `edgeHost`. */
export function edgeConnectionString(hubHost: string, edgeHost: string, deviceId: string, key: string, moduleId?: string): string {
  return formatDeviceConnectionString({ hostName: hubHost, deviceId, ...(moduleId ? { moduleId } : {}), sharedAccessKey: key, gatewayHostName: edgeHost })
}
