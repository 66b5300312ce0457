/**
 * The hub process: settings → logger → `startHub`, and a clean stop on SIGINT/SIGTERM (everything acknowledged is
 * already on disk; pending writes are finished before the store closes).
 */
import { createLogger } from '@ledge/common'
import { parseHubSettings, type HubSettingsInput } from './config.js'
import { startHub, type RunningHub } from './hub.js'

export async function runHubProcess(input: HubSettingsInput, onStarted?: (hub: RunningHub) => void): Promise<void> {
  const settings = parseHubSettings(input)
  const log = createLogger({ name: 'ledge-hub', level: settings.logLevel })
  const hub = await startHub(settings, { log })
  onStarted?.(hub)
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ event: 'hub.signal', signal }, `received ${signal}`)
      hub.close().then(resolve, (err: unknown) => {
        log.error({ err, event: 'hub.stop_failed' }, 'hub did not stop cleanly')
        resolve()
      })
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
