/**
 * One MQTT.js client of bench/edge-hub in a process of its own, driven by its parent over IPC: a sender (QoS 1
 * PUBLISHes with a window of unacknowledged ones, at full speed, at a fixed rate, or a fixed count) or a receiver
 * (subscribed at QoS 1; MQTT.js PUBACKs each message; it records arrival time and latency).
 *
 * The payload's first 8 bytes are the send time (`performance.timeOrigin + performance.now()`, the machine's clock,
 * shared between processes), the next 8 its sequence number; the rest is padding up to the message size.
 */
import mqtt from 'mqtt'

export interface ClientConfig {
  role: 'sender' | 'receiver'
  host: string
  port: number
  ca: string
  clientId: string
  username?: string
  password?: string
  /** The sender's topic, or the receiver's subscription. */
  topic: string
  /** A second topic the sender can use (`topic2` in a command): the edge hub's `$upstream` output. */
  topic2?: string
  /** TCP_NODELAY on the client's socket. MQTT.js (and so the Azure SDKs) leave Nagle on. */
  noDelay?: boolean
}

export type Command =
  | { cmd: 'max'; seconds: number; window: number; size: number; topic2?: boolean }
  /** `tickMs`: the sender publishes what is due every tick (a burst of rate × tick / 1000 messages). */
  | { cmd: 'rate'; seconds: number; rate: number; size: number; tickMs: number }
  | { cmd: 'count'; n: number; window: number; size: number; topic2?: boolean }
  | { cmd: 'report'; from: number; to: number }
  | { cmd: 'reset' }
  | { cmd: 'stop' }

const now = (): number => performance.timeOrigin + performance.now()
const cfg = JSON.parse(process.argv[2]!) as ClientConfig
const reply = (m: unknown): void => void process.send!(m)

const client = mqtt.connect({
  protocol: 'mqtts', host: cfg.host, port: cfg.port, ca: cfg.ca, clientId: cfg.clientId, protocolVersion: 4, clean: true, keepalive: 120,
  reconnectPeriod: 0, ...(cfg.username ? { username: cfg.username } : {}), ...(cfg.password ? { password: cfg.password } : {}),
})
client.on('error', (err) => reply({ type: 'error', message: err.message }))
client.on('close', () => reply({ type: 'closed' }))

// Receiver: arrival time and latency of every message since the last reset.
let arrivals = new Float64Array(1 << 16)
let latencies = new Float64Array(1 << 16)
let received = 0
let duplicates = 0
const seen = new Set<number>()

function record(payload: Buffer): void {
  const t = now()
  if (received === arrivals.length) {
    const a = new Float64Array(arrivals.length * 2); a.set(arrivals); arrivals = a
    const l = new Float64Array(latencies.length * 2); l.set(latencies); latencies = l
  }
  const seq = payload.readDoubleBE(8)
  if (seen.has(seq)) duplicates++
  else seen.add(seq)
  arrivals[received] = t
  latencies[received] = t - payload.readDoubleBE(0)
  received++
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

function report(from: number, to: number): unknown {
  const lat: number[] = []
  for (let i = 0; i < received; i++) if (arrivals[i]! >= from && arrivals[i]! < to) lat.push(latencies[i]!)
  const sorted = Float64Array.from(lat).sort()
  return { type: 'report', received, inWindow: lat.length, duplicates, unique: seen.size, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN }
}

// Sender.
let seq = 0
function payload(size: number): Buffer {
  const b = Buffer.alloc(size, 0x61)
  b.writeDoubleBE(now(), 0)
  b.writeDoubleBE(seq++, 8)
  return b
}

async function windowed(o: { until?: number; n?: number; window: number; size: number; topic: string }): Promise<{ sent: number; acked: number; failed: number; seconds: number }> {
  const t0 = now()
  let sent = 0
  let acked = 0
  let failed = 0
  let inflight = 0
  await new Promise<void>((resolve) => {
    const more = (): boolean => (o.n !== undefined ? sent < o.n : now() < o.until!)
    const pump = (): void => {
      while (inflight < o.window && more()) {
        inflight++
        sent++
        client.publish(o.topic, payload(o.size), { qos: 1 }, (err) => {
          inflight--
          if (err) failed++
          else acked++
          if (more()) pump()
          else if (inflight === 0) resolve()
        })
      }
      if (inflight === 0 && !more()) resolve()
    }
    pump()
  })
  return { sent, acked, failed, seconds: (now() - t0) / 1000 }
}

async function atRate(o: { seconds: number; rate: number; size: number; tickMs: number }): Promise<unknown> {
  const t0 = now()
  const end = t0 + o.seconds * 1000
  let sent = 0
  let acked = 0
  let maxInflight = 0
  let behindMs = 0
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const t = now()
      const due = Math.min(o.rate * o.seconds, Math.floor(((Math.min(t, end) - t0) / 1000) * o.rate))
      if (due - sent > o.rate * 0.05) behindMs = Math.max(behindMs, ((due - sent) / o.rate) * 1000)
      while (sent < due) {
        sent++
        client.publish(cfg.topic, payload(o.size), { qos: 1 }, () => void acked++)
      }
      maxInflight = Math.max(maxInflight, sent - acked)
      if (t >= end) resolve()
      else setTimeout(tick, o.tickMs)
    }
    tick()
  })
  const until = now() + 10_000
  while (acked < sent && now() < until) await new Promise((r) => setTimeout(r, 20))
  return { sent, acked, maxInflight, behindMs, seconds: (now() - t0) / 1000 }
}

process.on('message', (m: Command) => {
  void (async () => {
    switch (m.cmd) {
      case 'max':
        return reply({ type: 'done', ...(await windowed({ until: now() + m.seconds * 1000, window: m.window, size: m.size, topic: m.topic2 ? cfg.topic2! : cfg.topic })) })
      case 'count':
        return reply({ type: 'done', ...(await windowed({ n: m.n, window: m.window, size: m.size, topic: m.topic2 ? cfg.topic2! : cfg.topic })) })
      case 'rate':
        return reply({ type: 'done', ...(await atRate(m)) as object })
      case 'report':
        return reply(report(m.from, m.to))
      case 'reset':
        received = 0
        duplicates = 0
        seen.clear()
        return reply({ type: 'done' })
      case 'stop':
        client.end(true, () => process.exit(0))
        setTimeout(() => process.exit(0), 2000).unref()
        return
    }
  })()
})

client.on('connect', () => {
  if (cfg.noDelay) (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
  if (cfg.role === 'receiver') {
    client.on('message', (_topic, p) => record(p))
    client.subscribe(cfg.topic, { qos: 1 }, (err) => reply(err ? { type: 'error', message: err.message } : { type: 'ready' }))
  } else {
    reply({ type: 'ready' })
  }
})
