/**
 * Picks an engine. The default is the one chosen by measurement in docs/adr/0002-edge-store-engine.md.
 *
 * Each engine is imported when chosen: an edge hub on the log engine never loads better-sqlite3 (its native addon and
 * the SQLite engine's code stay out of the process's memory), and the reverse.
 */
import type { MessageStore } from './message-store.js'
import type { LogMessageStoreOptions } from './log/log-message-store.js'
import type { SqliteMessageStoreOptions } from './sqlite/sqlite-message-store.js'

export type StoreEngine = 'log' | 'sqlite'
export const DEFAULT_STORE_ENGINE: StoreEngine = 'log'

export type OpenMessageStoreOptions = (LogMessageStoreOptions & SqliteMessageStoreOptions) & { engine?: StoreEngine }

export async function openMessageStore(options: OpenMessageStoreOptions): Promise<MessageStore> {
  const engine = options.engine ?? DEFAULT_STORE_ENGINE
  if (engine === 'sqlite') return (await import('./sqlite/sqlite-message-store.js')).openSqliteMessageStore(options)
  if (engine === 'log') return (await import('./log/log-message-store.js')).openLogMessageStore(options)
  throw new RangeError(`unknown store engine ${String(engine)}`)
}
