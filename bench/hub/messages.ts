/**
 * The IPC messages between the orchestrator (run.ts) and its child processes: the load workers, which hold the
 * simulated devices' MQTT connections, and the sink, which reads what the broker delivers. Sent with
 * `serialization: 'advanced'`, so the latency samples travel as Float64Arrays.
 */

/** The broker the devices talk to. */
export interface BrokerTarget {
  kind: 'ledge' | 'mosquitto'
  host: string
  port: number
  caPem: string
  /** The IoT Hub host name the usernames and SAS tokens name (Ledge only). */
  hubName: string
  /** The key every bench device was created with (Ledge only). */
  deviceKey: string
}

export type WorkerCommand =
  | { type: 'connect'; target: BrokerTarget; deviceIds: string[]; concurrency: number; timeoutMs: number }
  | { type: 'throughput'; publishers: number; window: number; durationMs: number; payloadBytes: number; drainMs: number }
  | { type: 'rate'; publishers: number; ratePerSec: number; durationMs: number; payloadBytes: number; drainMs: number; tag: string }
  | { type: 'disconnect'; timeoutMs: number }

export interface ConnectResult {
  type: 'connected'
  ok: number
  failed: number
  /** The first few distinct failure reasons, with counts. */
  errors: Record<string, number>
  startedAt: number
  finishedAt: number
  /** Each connection's TCP connect + TLS handshake + CONNECT → CONNACK, ms. */
  connectMs: Float64Array
  /** The TLS version and cipher the first connection negotiated. */
  tls: string
}

export interface PublishResult {
  type: 'published'
  /** PUBLISHes written. */
  sent: number
  /** PUBACKs received inside the measured window. */
  ackedInWindow: number
  /** PUBACKs received in all (window + drain). */
  acked: number
  /** Publishes never acknowledged (lost, or still in flight after the drain). */
  unacked: number
  errors: Record<string, number>
  windowMs: number
  /** publish → PUBACK, ms, one per acknowledged message. */
  pubackMs: Float64Array
  /** Messages acknowledged in each second of the window. */
  perSecond: number[]
  /** How far behind its schedule the generator fell at worst (rate phase only), ms. */
  maxLagMs: number
  /** Connections that dropped during the phase. */
  disconnects: number
}

export interface DisconnectResult {
  type: 'disconnected'
  closed: number
}

export interface WorkerProgress {
  type: 'progress'
  connected: number
}

export type WorkerReply = ConnectResult | PublishResult | DisconnectResult | WorkerProgress | { type: 'ready' } | { type: 'fatal'; message: string }

export type SinkCommand =
  | { type: 'start'; source: SinkSource; tag: string }
  | { type: 'stop'; waitMs: number; expected: number }

export type SinkSource =
  | { kind: 'sse'; url: string; authorization: string; caPem: string }
  | { kind: 'mqtt'; url: string; caPem: string; topic: string }

export interface SinkResult {
  type: 'sink-stopped'
  received: number
  /** Events that were not from this phase (no tag, or another tag). */
  foreign: number
  /** publish → receipt by the sink, ms. */
  latencyMs: Float64Array
  errors: Record<string, number>
}

export type SinkReply = SinkResult | { type: 'sink-ready' } | { type: 'sink-started' } | { type: 'fatal'; message: string }

/** The payload every bench message carries: `t` is the send time on the shared clock ({@link nowMs}). */
export interface BenchPayload {
  t: number
  tag: string
  d: string
  n: number
  pad: string
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

/** A JSON payload of about `bytes` bytes carrying its send time. */
export function benchPayload(tag: string, deviceId: string, n: number, bytes: number): string {
  const head = JSON.stringify({ t: nowMs(), tag, d: deviceId, n, pad: '' })
  const padding = Math.max(0, bytes - head.length)
  return head.slice(0, -2) + 'x'.repeat(padding) + '"}'
}

/** Counts an error under its message, keeping at most 20 distinct messages. */
export function countError(errors: Record<string, number>, err: unknown): void {
  const key = (err instanceof Error ? err.message : String(err)).slice(0, 160)
  if (key in errors) errors[key]!++
  else if (Object.keys(errors).length < 20) errors[key] = 1
  else errors['(other)'] = (errors['(other)'] ?? 0) + 1
}
