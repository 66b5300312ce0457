/**
 * The hub's store, as its settings choose: the SQLite file `hub.db` in the data folder (the embedded default), or a
 * PostgreSQL database (`store: postgres://…`). The PostgreSQL driver is loaded only for a hub that uses it.
 */
import { join } from 'node:path'
import { redactUrl, type Logger } from '@ledge/common'
import type { HubStore } from '@ledge/storage'
import type { HubSettings } from './config.js'

export async function openHubStore(settings: Pick<HubSettings, 'store' | 'storeSchema'>, dataDir: string, log: Logger): Promise<HubStore> {
  if (settings.store) {
    const { openPostgresHubStore } = await import('@ledge/storage-postgres')
    return openPostgresHubStore({ url: settings.store, schema: settings.storeSchema, logger: log })
  }
  const { openSqliteHubStore } = await import('@ledge/storage-sqlite')
  return openSqliteHubStore({ file: join(dataDir, 'hub.db'), logger: log })
}

/** Where {@link openHubStore} keeps the data, for the start-up banner and logs (the password hidden). */
export function describeHubStore(settings: Pick<HubSettings, 'store' | 'storeSchema'>, dataDir: string): string {
  return settings.store ? `${redactUrl(settings.store)} (schema ${settings.storeSchema})` : join(dataDir, 'hub.db')
}
