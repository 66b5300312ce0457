/**
 * The face detector module's composition root, as an Azure IoT Edge module is written: the unmodified
 * azure-iot-device `ModuleClient.fromEnvironment(Mqtt)`, frames on input `frames` (`inputMessage`), results on
 * outputs `detections` and `frames`. SIGTERM/SIGINT stop it cleanly.
 *
 * Environment: LEDGE_LOG_LEVEL (info), DETECTOR_REPORT_INTERVAL_MS (5000).
 */
import { createRequire } from 'node:module'
import { createLogger } from '@ledge/common'
import { FaceDetectorApp, INPUT_FRAMES, type OutMessage } from './detector-app.js'
import type { TwinLike } from './twin-like.js'

const require = createRequire(import.meta.url)
const { ModuleClient, Message } = require('azure-iot-device') as typeof import('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')
type SdkMessage = import('azure-iot-device').Message

const log = createLogger({ name: 'face-detector' })

function toSdk(m: OutMessage): SdkMessage {
  const msg = new Message(m.body)
  ;(msg as { contentType?: string }).contentType = m.contentType
  if (m.contentEncoding) msg.contentEncoding = m.contentEncoding as SdkMessage['contentEncoding']
  for (const [k, v] of Object.entries(m.properties)) msg.properties.add(k, v)
  return msg
}

function propertiesOf(msg: SdkMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of msg.properties.propertyList as { key: string; value: string }[]) out[p.key] = String(p.value)
  return out
}

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
log.info({ event: 'module.connected', moduleId: process.env.IOTEDGE_MODULEID }, 'face-detector module connected')

const app = await FaceDetectorApp.start({
  endpoint: {
    getTwin: async () => (await client.getTwin()) as unknown as TwinLike,
    send: async (output, m) => {
      await client.sendOutputEvent(output, toSdk(m))
    },
  },
  log,
  reportIntervalMs: Number(process.env.DETECTOR_REPORT_INTERVAL_MS ?? 5_000),
})

client.on('inputMessage', (inputName: string, msg: SdkMessage) => {
  if (inputName === INPUT_FRAMES) {
    const data = msg.getData()
    app.handleFrame({ body: Buffer.isBuffer(data) ? data : Buffer.from(data as string), properties: propertiesOf(msg) })
  } else {
    log.debug({ event: 'input.ignored', inputName }, 'message on an unknown input ignored')
  }
  client.complete(msg, () => undefined)
})

/** Longest a clean stop may take before the module exits anyway (under the manifest's stopGraceSeconds). */
const STOP_DEADLINE_MS = 8_000
let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  log.info({ event: 'module.stopping' }, 'face-detector module stopping')
  // Bounded: without its edge hub, pending sends and the twin write never settle (the SDK keeps retrying).
  setTimeout(() => process.exit(0), STOP_DEADLINE_MS).unref()
  await app.close().catch(() => undefined)
  await client.close().catch(() => undefined)
  process.exit(0)
}
process.once('SIGTERM', () => void stop())
process.once('SIGINT', () => void stop())
