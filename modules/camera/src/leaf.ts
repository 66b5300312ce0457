/**
 * The camera as a leaf device (`ledge camera --connection-string …`): the same capture code behind an unmodified
 * azure-iot-device `Client.fromConnectionString(…, Mqtt)`. With `GatewayHostName=<edge>` in the connection string the
 * device connects through the edge device as a transparent gateway (trust the edge CA with `ca`); without it, to
 * the hub directly. Frames go out as device telemetry (`sendEvent`) with the same properties as the module's; the
 * device twin's desired properties override the options, live, exactly as for the module.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Logger } from '@ledge/common'
import { runCamera } from './camera-app.js'
import { frameMessage } from './frame-message.js'
import type { CameraSettingsInput } from './settings.js'
import type { TwinLike } from './twin-like.js'

const require = createRequire(import.meta.url)

export interface LeafCameraOptions {
  connectionString: string
  /** PEM of the CA to trust (the edge device's CA when connecting through a gateway), or a path to it. */
  ca?: string
  /** Settings under the device twin's desired properties: source, fps, width, height, jpegQuality, cameraId. */
  settings?: Partial<CameraSettingsInput>
  /** `mqtt` (8883) or `mqttws` (443). */
  transport?: 'mqtt' | 'mqttws'
  log: Logger
  reportIntervalMs?: number
}

/** Connects, captures until `signal` aborts, then disconnects. Rejects when it cannot connect. */
export async function runLeafCamera(o: LeafCameraOptions, signal: AbortSignal): Promise<void> {
  const { Client, Message } = require('azure-iot-device') as typeof import('azure-iot-device')
  const { Mqtt, MqttWs } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')
  const deviceId = /(?:^|;)DeviceId=([^;]+)/i.exec(o.connectionString)?.[1]
  if (!deviceId) throw new Error('the connection string has no DeviceId')
  const client = Client.fromConnectionString(o.connectionString, o.transport === 'mqttws' ? MqttWs : Mqtt)
  if (o.ca) await client.setOptions({ ca: o.ca.includes('-----BEGIN') ? o.ca : await readFile(o.ca, 'utf8') })
  client.on('error', (err: Error) => o.log.error({ event: 'client.error', err: err.message }, 'device client error'))
  await client.open()
  o.log.info({ event: 'leaf.connected', deviceId }, 'leaf camera connected')
  try {
    await runCamera({
      endpoint: {
        identity: deviceId,
        getTwin: async () => (await client.getTwin()) as unknown as TwinLike,
        sendFrame: async (frame) => {
          await client.sendEvent(frameMessage(frame, Message))
        },
      },
      defaults: o.settings ?? {},
      log: o.log,
      ...(o.reportIntervalMs !== undefined ? { reportIntervalMs: o.reportIntervalMs } : {}),
    }, signal)
  } finally {
    await client.close().catch(() => undefined)
  }
}
