/**
 * A real hub for a test: its own loopback address with port 443 (the Azure service SDK cannot use another), MQTT on a
 * free port, a temporary data folder, and a server certificate issued by the test CA that NODE_EXTRA_CA_CERTS trusts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, createLogger, type Logger } from '@ledge/common'
import { parseHubSettings, startHub, type RunningHub, type HubSettingsInput } from '@ledge/hub'
import { formatDeviceConnectionString } from '@ledge/protocol'
import { testCaFiles } from './environment.js'
import { freeLoopbackAddress } from './loopback.js'

export interface TestHub extends AsyncDisposable {
  hub: RunningHub
  /** The loopback address the hub listens on; also its host name (an IP SAN in its certificate). */
  host: string
  dataDir: string
  caPem: string
  serviceConnectionString: string
  /** A device (or module) connection string; MQTT goes to the hub's own port through GatewayHostName. */
  connectionString(deviceId: string, key: string, moduleId?: string): string
  /** The HTTPS base URL of the REST API. */
  url: string
  close(): Promise<void>
}

function testLogger(): Logger {
  return process.env.LEDGE_TEST_LOG ? createLogger({ name: 'test-hub', level: process.env.LEDGE_TEST_LOG }) : silentLogger()
}

export async function startTestHub(overrides: Partial<HubSettingsInput> & { dataDir?: string; keepDataDir?: boolean } = {}): Promise<TestHub> {
  const ca = testCaFiles()
  const ownDir = overrides.dataDir === undefined
  const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), 'ledge-hub-')))
  let lastErr: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const host = overrides.bind ?? (await freeLoopbackAddress(443))
    const settings = parseHubSettings({
      dataDir, hostName: host, bind: host, httpsPort: 443, mqttPort: 0, amqpPort: 0,
      caCertFile: ca.certFile, caKeyFile: ca.keyFile, logLevel: 'silent',
      ...overrides,
    })
    try {
      const hub = await startHub(settings, { log: testLogger() })
      const close = async (): Promise<void> => {
        await hub.close()
        if (ownDir && !overrides.keepDataDir) await rm(dataDir, { recursive: true, force: true })
      }
      return {
        hub, host, dataDir, caPem: readFileSync(ca.certFile, 'utf8'),
        serviceConnectionString: hub.serviceConnectionString,
        url: `https://${host}:${hub.httpsPort}`,
        connectionString: (deviceId, key, moduleId) =>
          formatDeviceConnectionString({ hostName: host, deviceId, ...(moduleId ? { moduleId } : {}), sharedAccessKey: key, gatewayHostName: `${host}:${hub.mqttPort}` }),
        close,
        [Symbol.asyncDispose]: close,
      }
    } catch (err) {
      lastErr = err
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || overrides.bind) break
    }
  }
  if (ownDir) await rm(dataDir, { recursive: true, force: true })
  throw lastErr
}
