/**
 * @ledge/edge-hub: the edge hub's parts for other packages: the message store port and its engines, the stream
 * executor that drains a store's queues to an endpoint, the device scope and the upstream link.
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
export { StreamExecutor, DEFAULT_SENDER_HOLD, type StreamExecutorOptions, type StreamTarget, type DeliveryChannel, type SenderHold, type ExecutorStats } from './store/stream-executor.js'

// The device scope (offline authentication) and the upstream link to the hub.
export { DeviceScopeCache, createDeviceScopeCache, DEFAULT_SCOPE_REFRESH_MS, DEFAULT_ON_DEMAND_MIN_INTERVAL_MS, type DeviceScopeCacheOptions, type AuthOutcome as ScopeAuthOutcome, type AuthRefusal, type RevokedListener } from './scope/device-scope-cache.js'
export { DeviceScopeClient, SCOPE_API_VERSION, type ScopeSource, type DeviceScopeClientOptions } from './scope/scope-client.js'
export { EDGE_HUB_MODULE_ID, type ServiceIdentity, type TokenSource } from './scope/service-identity.js'
export { Upstream, DEFAULT_MQTTS_PORT, DEFAULT_WEBSOCKET_PORT, type UpstreamStatus } from './upstream/upstream.js'
export { upstreamTarget, type UpstreamTargetOptions, type TelemetrySender } from './upstream/upstream-target.js'
export { scopeTokenSource, DEFAULT_TOKEN_LIFETIME_S, type ScopeTokenSourceOptions } from './upstream/token-source.js'
export { telemetryTopic, UPSTREAM_SYSTEM_PROPERTIES } from './upstream/telemetry.js'
export { errors as upstreamErrors, type UpstreamOptions, type TelemetryResult, type Transport, type ConnectionEvent, type CloudMethodCall } from './upstream/types.js'
