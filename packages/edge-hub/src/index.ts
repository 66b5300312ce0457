/**
 * @ledge/edge-hub: the edge hub. For now its durable store-and-forward: the message store port and its engines, and
 * the endpoint executor that drains a store to a sink.
 */
export type {
  Durability,
  FullPolicy,
  MessageStore,
  MessageStoreOptions,
  QueuedMessage,
  QueueStats,
  QueueTarget,
  ReadOptions,
  StoredRef,
  StoreStats,
} from './store/message-store.js'
export { DEFAULT_MAX_BYTES, DEFAULT_MIN_FREE_DISK_BYTES, DEFAULT_PRIORITY } from './store/message-store.js'
export { errors as storeErrors } from './store/errors.js'
export { openMessageStore, DEFAULT_STORE_ENGINE, type OpenMessageStoreOptions, type StoreEngine } from './store/open-message-store.js'
export { openLogMessageStore, LogMessageStore, type LogMessageStoreOptions } from './store/log/log-message-store.js'
export { openSqliteMessageStore, SqliteMessageStore, type SqliteMessageStoreOptions } from './store/sqlite/sqlite-message-store.js'
export { EndpointExecutor, type EndpointExecutorOptions, type ExecutorStats, type Sink, type SinkResult } from './store/endpoint-executor.js'
