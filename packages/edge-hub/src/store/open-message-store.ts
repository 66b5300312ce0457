/**
 * Picks an engine. The default is the one chosen by measurement in docs/adr/0002-edge-store-engine.md.
 */
import type { MessageStore } from './message-store.js'
import { openLogMessageStore, type LogMessageStoreOptions } from './log/log-message-store.js'
import { openSqliteMessageStore, type SqliteMessageStoreOptions } from './sqlite/sqlite-message-store.js'

export type StoreEngine = 'log' | 'sqlite'
export const DEFAULT_STORE_ENGINE: StoreEngine = 'log'

export type OpenMessageStoreOptions = (LogMessageStoreOptions & SqliteMessageStoreOptions) & { engine?: StoreEngine }

export async function openMessageStore(options: OpenMessageStoreOptions): Promise<MessageStore> {
  const engine = options.engine ?? DEFAULT_STORE_ENGINE
  if (engine === 'sqlite') return openSqliteMessageStore(options)
  if (engine === 'log') return openLogMessageStore(options)
  throw new RangeError(`unknown store engine ${String(engine)}`)
}
