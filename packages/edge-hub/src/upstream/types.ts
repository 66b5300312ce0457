/** The upstream link's options, results and errors. */
import { AppError, type BackoffOptions, type Clock, type ErrorKind, type Logger } from '@ledge/common'
import type { ClientIdentity } from '../identity.js'
import type { MethodCall, MethodResult, TwinDocument } from '../ports.js'

export type { TwinDocument }

export type Transport = 'mqtts' | 'wss'

export interface UpstreamOptions {
  /** The hub's host name: in usernames and SAS tokens, and the host dialled when there is no `gateway`. */
  hubHostname: string
  /** Where to connect instead (a parent edge hub, or the hub's MQTT port): `host` or `host:port`. */
  gateway?: string
  /** Trust bundle (PEM) for the hub's (or parent's) certificate. */
  ca?: string | Buffer
  /** A SAS token for `identity` (its own key from the device scope; the edge hub's through its TokenSource). */
  tokenFor(identity: ClientIdentity): Promise<string>
  /** `auto` (default): MQTT over TLS, and WebSockets after `fallbackAfter` failed connection attempts in a row. */
  transport?: Transport | 'auto'
  /** Default 3. */
  fallbackAfter?: number
  /** The WebSocket port (the Azure SDK always uses 443). */
  websocketPort?: number
  /** Reconnection delays. Default 1 s doubling to 60 s, half jittered. */
  backoff?: BackoffOptions
  /** CONNECT to CONNACK. Default 20 s. */
  connectTimeoutMs?: number
  /** PUBACK of telemetry, twin responses. Default 20 s (iotedge's operation timeout). */
  operationTimeoutMs?: number
  /** MQTT keep-alive. Default 60 s, so that a dead link is noticed within 90 s. */
  keepaliveSeconds?: number
  /** The token is renewed (by reconnecting, as the SDK does) after this share of its lifetime. Default 0.75. */
  renewAt?: number
  clock?: Clock
  logger?: Logger
}

/**
 * One message's fate: `sent` (PUBACKed), `offline` (not sent: no connection), `dropped` (sent, the connection closed
 * before its PUBACK), `timeout` (no PUBACK in time), `too_large` (over IoT Hub's 256 KB; never sent).
 */
export type TelemetryResult = 'sent' | 'offline' | 'dropped' | 'timeout' | 'too_large'

export interface CloudMethodCall extends MethodCall {
  /** The request id of the cloud's call. */
  rid: string
}

export type CloudMethodResult = MethodResult

/** A connection's state change, for logs and metrics. */
export interface ConnectionEvent {
  identity: ClientIdentity
  state: 'connected' | 'disconnected' | 'refused'
  transport: Transport
  reason?: string
}

function upstreamError(code: string, kind: ErrorKind, message: string, options?: ErrorOptions & { details?: Record<string, unknown> }): AppError {
  return new AppError(code, kind, message, options)
}

export const errors = {
  offline: (who: string, why: string) => upstreamError('ERR_UPSTREAM_OFFLINE', 'unavailable', `the cloud connection of ${who} is down: ${why}`),
  closed: (who: string) => upstreamError('ERR_UPSTREAM_CLOSED', 'unavailable', `the cloud connection of ${who} was released`),
  timeout: (what: string, ms: number) => upstreamError('ERR_UPSTREAM_TIMEOUT', 'timeout', `${what}: no answer from the hub within ${ms} ms`),
  hub: (what: string, status: number, message: string) =>
    upstreamError('ERR_UPSTREAM_REFUSED', status === 404 ? 'not_found' : status === 429 ? 'throttled' : status >= 500 ? 'unavailable' : 'invalid', `${what}: the hub answered ${status}: ${message}`, { details: { status } }),
  noKeys: (who: string) => upstreamError('ERR_UPSTREAM_NO_KEYS', 'unauthorized', `no SAS key for ${who} in the device scope: it cannot connect to the hub`),
}
