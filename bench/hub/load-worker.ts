/**
 * A load-generator process: holds a share of the simulated devices, each a real MQTT.js client over TLS (MQTT 3.1.1,
 * clean: false, as the Azure device SDK connects), and runs the phases run.ts asks for over IPC. Every loop is
 * bounded by a count or a deadline.
 */
import { createSecureContext, type SecureContext, type TLSSocket, type ConnectionOptions } from 'node:tls'
import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import { createIdentitySasToken } from '@ledge/protocol'
import { benchPayload, countError, nowMs, type BrokerTarget, type PublishResult, type WorkerCommand, type WorkerReply } from './messages.js'
import { Samples } from './stats.js'

const API_VERSION = '2021-04-12'
/** Azure's device SDK keeps MQTT connections alive with a 180 s keep-alive. */
const KEEPALIVE_S = 180

interface Device {
  id: string
  client: MqttClient
  topic: string
  sent: number
  alive: boolean
}

let devices: Device[] = []
let disconnects = 0

function reply(msg: WorkerReply): void {
  process.send!(msg)
}

/** MQTT.js hands its options to `tls.connect`, so one parsed CA context serves every connection. */
type TlsClientOptions = IClientOptions & Pick<ConnectionOptions, 'secureContext'>

function clientOptions(target: BrokerTarget, id: string, ctx: SecureContext, timeoutMs: number): TlsClientOptions {
  const common: TlsClientOptions = {
    protocol: 'mqtts', host: target.host, port: target.port, secureContext: ctx, rejectUnauthorized: true,
    protocolVersion: 4, clientId: id, clean: false, keepalive: KEEPALIVE_S, reconnectPeriod: 0,
    connectTimeout: timeoutMs, resubscribe: false,
  }
  if (target.kind === 'mosquitto') return common
  const password = createIdentitySasToken({ hostName: target.hubName, deviceId: id, keyBase64: target.deviceKey, expiresAt: Date.now() / 1000 + 24 * 3600 })
  return { ...common, username: `${target.hubName}/${id}/?api-version=${API_VERSION}`, password }
}

function connectOne(opts: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(opts)
    let settled = false
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      client.end(true)
      reject(err)
    }
    const closed = (): void => fail(new Error('closed before CONNACK'))
    // Errors after the outcome (a late socket error) must not crash the worker.
    client.on('error', fail)
    client.once('close', closed)
    client.once('connect', () => {
      if (settled) return
      settled = true
      client.removeListener('close', closed)
      resolve(client)
    })
  })
}

async function connectAll(cmd: Extract<WorkerCommand, { type: 'connect' }>): Promise<void> {
  const ctx = createSecureContext({ ca: cmd.target.caPem })
  const errors: Record<string, number> = {}
  const connectMs = new Samples()
  let tls = ''
  const startedAt = nowMs()
  let next = 0
  let failed = 0
  const progress = setInterval(() => reply({ type: 'progress', connected: devices.length }), 1000)
  const runner = async (): Promise<void> => {
    while (next < cmd.deviceIds.length) {
      const id = cmd.deviceIds[next++]!
      const t0 = nowMs()
      try {
        const client = await connectOne(clientOptions(cmd.target, id, ctx, cmd.timeoutMs))
        connectMs.add(nowMs() - t0)
        if (!tls) {
          const socket = client.stream as TLSSocket
          tls = `${socket.getProtocol() ?? '?'} ${socket.getCipher()?.name ?? '?'}`
        }
        const device: Device = { id, client, topic: `devices/${id}/messages/events/`, sent: 0, alive: true }
        client.once('close', () => {
          if (device.alive) disconnects++
          device.alive = false
        })
        devices.push(device)
      } catch (err) {
        failed++
        countError(errors, err)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(cmd.concurrency, cmd.deviceIds.length) }, runner))
  clearInterval(progress)
  reply({ type: 'connected', ok: devices.length, failed, errors, startedAt, finishedAt: nowMs(), connectMs: connectMs.toArray(), tls })
}

/** The shared bookkeeping of a publishing phase. */
class PhaseStats {
  sent = 0
  acked = 0
  ackedInWindow = 0
  failed = 0
  readonly errors: Record<string, number> = {}
  readonly pubackMs = new Samples()
  readonly perSecond: number[]
  readonly disconnectsAtStart = disconnects
  maxLagMs = 0

  constructor(readonly start: number, readonly end: number) {
    this.perSecond = new Array<number>(Math.ceil((end - start) / 1000)).fill(0)
  }

  /** Publishes one message at QoS 1; `done` runs on its PUBACK or failure. */
  publish(d: Device, tag: string, payloadBytes: number, done?: () => void): void {
    const t0 = nowMs()
    this.sent++
    d.client.publish(d.topic, benchPayload(tag, d.id, d.sent++, payloadBytes), { qos: 1 }, (err) => {
      const t1 = nowMs()
      if (err) {
        this.failed++
        countError(this.errors, err)
      } else {
        this.acked++
        this.pubackMs.add(t1 - t0)
        if (t1 <= this.end) {
          this.ackedInWindow++
          this.perSecond[Math.floor((t1 - this.start) / 1000)]!++
        }
      }
      done?.()
    })
  }

  get inflight(): number {
    return this.sent - this.acked - this.failed
  }

  async drain(drainMs: number): Promise<void> {
    const until = nowMs() + drainMs
    while (this.inflight > 0 && nowMs() < until) await sleep(20)
  }

  result(): PublishResult {
    return {
      type: 'published', sent: this.sent, ackedInWindow: this.ackedInWindow, acked: this.acked, unacked: this.inflight,
      errors: this.errors, windowMs: this.end - this.start, pubackMs: this.pubackMs.toArray(), perSecond: this.perSecond,
      maxLagMs: this.maxLagMs, disconnects: disconnects - this.disconnectsAtStart,
    }
  }
}

/** Each of the first `publishers` devices keeps `window` messages in flight until the deadline. */
async function throughput(cmd: Extract<WorkerCommand, { type: 'throughput' }>): Promise<void> {
  const start = nowMs()
  const stats = new PhaseStats(start, start + cmd.durationMs)
  const chain = (d: Device): void => {
    if (!d.alive || nowMs() >= stats.end) return
    stats.publish(d, 'tp', cmd.payloadBytes, () => chain(d))
  }
  for (const d of devices.slice(0, cmd.publishers)) for (let i = 0; i < cmd.window; i++) chain(d)
  await sleep(cmd.durationMs)
  await stats.drain(cmd.drainMs)
  reply(stats.result())
}

/**
 * A fixed rate spread round-robin over the first `publishers` devices (those of the throughput phase), in 5 ms
 * ticks; lag is how far sending fell behind schedule.
 */
async function rate(cmd: Extract<WorkerCommand, { type: 'rate' }>): Promise<void> {
  const TICK_MS = 5
  const start = nowMs()
  const stats = new PhaseStats(start, start + cmd.durationMs)
  const live = devices.slice(0, cmd.publishers).filter((d) => d.alive)
  const perMs = cmd.ratePerSec / 1000
  const maxBurst = Math.max(1, Math.ceil(cmd.ratePerSec / 10))
  let issued = 0
  let rr = 0
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = nowMs()
      if (now >= stats.end || live.length === 0) {
        clearInterval(timer)
        resolve()
        return
      }
      const due = Math.min(maxBurst, Math.floor((now - start) * perMs) - issued)
      if (due > 0) stats.maxLagMs = Math.max(stats.maxLagMs, now - (start + issued / perMs))
      for (let i = 0; i < due; i++) {
        const d = live[rr++ % live.length]!
        issued++
        if (d.alive) stats.publish(d, cmd.tag, cmd.payloadBytes)
      }
    }, TICK_MS)
  })
  await stats.drain(cmd.drainMs)
  reply(stats.result())
}

async function disconnectAll(timeoutMs: number): Promise<void> {
  const closing = devices.map(
    (d) =>
      new Promise<void>((resolve) => {
        d.alive = false
        d.client.end(false, {}, () => resolve())
      }),
  )
  await Promise.race([Promise.all(closing), sleep(timeoutMs)])
  for (const d of devices) d.client.end(true)
  const closed = devices.length
  devices = []
  reply({ type: 'disconnected', closed })
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function handle(cmd: WorkerCommand): Promise<void> {
  switch (cmd.type) {
    case 'connect':
      return connectAll(cmd)
    case 'throughput':
      return throughput(cmd)
    case 'rate':
      return rate(cmd)
    case 'disconnect':
      return disconnectAll(cmd.timeoutMs)
  }
}

process.on('message', (cmd: WorkerCommand) => {
  handle(cmd).catch((err: unknown) => {
    reply({ type: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
    process.exit(1)
  })
})
process.on('disconnect', () => process.exit(0))
reply({ type: 'ready' })
