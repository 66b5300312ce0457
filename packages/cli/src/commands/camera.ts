/**
 * `ledge camera --connection-string '…' [--ca FILE] [--source …] [--fps N] …`: runs the crowd-analytics camera as a
 * leaf device (`runLeafCamera` of @ledge/module-camera) until Ctrl-C. With `GatewayHostName=<edge device>` in the
 * connection string it connects through the edge device as a transparent gateway; `--ca` is then the edge CA
 * (`<home_dir>/certs/edge-ca.pem`). The flags are defaults: the device twin's desired properties override them, live.
 * Logs (pino JSON) go to stderr.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { Option } from 'commander'
import type { CliIo } from '../context.js'
import { errors } from '../errors.js'
import { parseIntFlag, parseNumberFlag } from '../flags.js'

interface CameraOpts {
  connectionString?: string
  ca?: string
  source?: string
  fps?: string
  width?: string
  height?: string
  jpegQuality?: string
  cameraId?: string
  transport: 'mqtt' | 'mqttws'
  reportIntervalMs?: string
}

/** A source given on the command line: a relative path means the working directory; URLs and devices stay. */
export function cliSource(source: string, cwd: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(source) ? source : resolve(cwd, source)
}

export function addCameraCommand(program: Command, io: CliIo): void {
  program
    .command('camera')
    .description('run the camera as a leaf device (through an edge gateway with GatewayHostName=…) until Ctrl-C')
    .option('-c, --connection-string <cs>', 'the device connection string (default: LEDGE_CAMERA_CONNECTION_STRING)')
    .option('--ca <file>', 'PEM file of the CA to trust: the edge CA when connecting through a gateway')
    .option('--source <source>', 'a folder of images, a video file, an rtsp:// or http(s):// URL, or /dev/videoN (default: the samples)')
    .option('--fps <n>', 'frames per second (default 5)')
    .option('--width <px>', 'frame width (default 640)')
    .option('--height <px>', 'frame height (default 480)')
    .option('--jpeg-quality <q>', 'JPEG quality 1 … 100 (default 80)')
    .option('--camera-id <id>', "the frames' cameraId property (default: the device id)")
    .addOption(new Option('--transport <t>', 'mqtt (8883) or mqttws (443)').choices(['mqtt', 'mqttws']).default('mqtt'))
    .option('--report-interval-ms <ms>', 'how often the stats are reported to the device twin (default 10000)')
    .action(async (o: CameraOpts) => {
      const connectionString = o.connectionString ?? io.env.LEDGE_CAMERA_CONNECTION_STRING
      if (!connectionString) throw errors.usage('--connection-string is required (or set LEDGE_CAMERA_CONNECTION_STRING)')
      if (!/(?:^|;)DeviceId=[^;]+/i.test(connectionString)) throw errors.badFlag('--connection-string', 'has no DeviceId')
      const settings = {
        ...(o.source !== undefined ? { source: cliSource(o.source, io.cwd) } : {}),
        ...optional('fps', parseNumberFlag('--fps', o.fps, { positive: true })),
        ...optional('width', parseIntFlag('--width', o.width, { min: 16, max: 3840 })),
        ...optional('height', parseIntFlag('--height', o.height, { min: 16, max: 3840 })),
        ...optional('jpegQuality', parseIntFlag('--jpeg-quality', o.jpegQuality, { min: 1, max: 100 })),
        ...(o.cameraId !== undefined ? { cameraId: o.cameraId } : {}),
      }
      const reportIntervalMs = parseIntFlag('--report-interval-ms', o.reportIntervalMs, { min: 100 })
      const [{ runLeafCamera }, { createLogger }] = await Promise.all([import('@ledge/module-camera/leaf'), import('@ledge/common')])
      const log = createLogger({ name: 'camera', destination: 2, ...(io.env.LEDGE_LOG_LEVEL ? { level: io.env.LEDGE_LOG_LEVEL } : {}) })
      const stop = new AbortController()
      const onAbort = (): void => stop.abort()
      io.signal.addEventListener('abort', onAbort, { once: true })
      // SIGTERM (a supervisor, a test) stops it as cleanly as Ctrl-C.
      process.once('SIGTERM', onAbort)
      try {
        await runLeafCamera({
          connectionString,
          ...(o.ca !== undefined ? { ca: resolve(io.cwd, o.ca) } : {}),
          settings,
          transport: o.transport,
          log,
          ...(reportIntervalMs !== undefined ? { reportIntervalMs } : {}),
        }, stop.signal)
      } catch (err) {
        if (stop.signal.aborted) return
        throw errors.failure(`the camera stopped: ${(err as Error).message}`, err)
      } finally {
        io.signal.removeEventListener('abort', onAbort)
        process.removeListener('SIGTERM', onAbort)
      }
    })
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>)
}
