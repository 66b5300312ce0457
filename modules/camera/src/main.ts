/**
 * The camera module's composition root, as an Azure IoT Edge module is written: the unmodified azure-iot-device
 * `ModuleClient.fromEnvironment(Mqtt)` (the IOTEDGE_* variables the edge runtime sets, or EdgeHubConnectionString),
 * frames on output `frames`. SIGTERM/SIGINT stop it cleanly.
 *
 * Environment: LEDGE_LOG_LEVEL (info), CAMERA_REPORT_INTERVAL_MS (10000).
 */
import { createRequire } from 'node:module'
import { createLogger } from '@ledge/common'
import { runCamera } from './camera-app.js'
import { FRAMES_OUTPUT, frameMessage } from './frame-message.js'
import type { TwinLike } from './twin-like.js'

const require = createRequire(import.meta.url)
const { ModuleClient, Message } = require('azure-iot-device') as typeof import('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')

const log = createLogger({ name: 'camera' })
const client = await ModuleClient.fromEnvironment(Mqtt)
client.on('error', (err: Error) => log.error({ event: 'client.error', err: err.message }, 'module client error'))
// The edge hub may not listen yet when the runtime starts this module (it starts them together): retry for a while
// rather than exit and wait out the runtime's restart back-off.
for (let attempt = 1; ; attempt++) {
  try {
    await client.open()
    break
  } catch (err) {
    if (attempt >= 20) throw err
    log.warn({ event: 'client.open_failed', attempt, err: (err as Error).message }, 'cannot reach the edge hub yet; retrying')
    await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 3000)))
  }
}
const identity = process.env.IOTEDGE_MODULEID ?? 'camera'
log.info({ event: 'module.connected', moduleId: identity }, 'camera module connected')

const stop = new AbortController()
/** Longest a clean stop may take before the module exits anyway (under the manifest's stopGraceSeconds). */
const STOP_DEADLINE_MS = 4_000
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    stop.abort()
    // Bounded: without its edge hub, a pending send and client.close() never settle (the SDK keeps retrying).
    setTimeout(() => process.exit(), STOP_DEADLINE_MS).unref()
  })
}

try {
  await runCamera({
    endpoint: {
      identity,
      getTwin: async () => (await client.getTwin()) as unknown as TwinLike,
      sendFrame: async (frame) => {
        await client.sendOutputEvent(FRAMES_OUTPUT, frameMessage(frame, Message))
      },
    },
    log,
    reportIntervalMs: Number(process.env.CAMERA_REPORT_INTERVAL_MS ?? 10_000),
  }, stop.signal)
} catch (err) {
  log.error({ event: 'module.failed', err: (err as Error).message }, 'camera module failed')
  process.exitCode = 1
} finally {
  await client.close().catch(() => undefined)
  log.info({ event: 'module.stopped' }, 'camera module stopped')
}
process.exit()
