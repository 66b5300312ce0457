/**
 * The receiving end of the latency phase, in its own process: the hub's events stream (`GET /events`, server-sent
 * events, as `ledge monitor-events` reads it) or, for Mosquitto, an MQTT subscriber. Each message carries its send
 * time; latency is receipt time minus send time on the machine's clock.
 */
import { request } from 'node:https'
import type { IncomingMessage } from 'node:http'
import { connect, type MqttClient } from 'mqtt'
import { countError, nowMs, type BenchPayload, type SinkCommand, type SinkReply, type SinkSource } from './messages.js'
import { Samples } from './stats.js'

let tag = ''
let received = 0
let foreign = 0
let latency = new Samples()
let errors: Record<string, number> = {}
let close: (() => void) | undefined

function reply(msg: SinkReply): void {
  process.send!(msg)
}

function record(payload: unknown, at: number): void {
  const p = payload as Partial<BenchPayload> | null
  if (!p || typeof p !== 'object' || p.tag !== tag || typeof p.t !== 'number') {
    foreign++
    return
  }
  received++
  latency.add(at - p.t)
}

/** Reads the SSE stream; one receipt time per chunk (the events in it arrived together). */
function startSse(source: Extract<SinkSource, { kind: 'sse' }>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(source.url, { headers: { authorization: source.authorization, accept: 'text/event-stream' }, ca: source.caPem }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /events answered ${res.statusCode}`))
        res.resume()
        return
      }
      res.setEncoding('utf8')
      let buffered = ''
      res.on('data', (chunk: string) => {
        const at = nowMs()
        buffered += chunk
        let from = 0
        let end: number
        while ((end = buffered.indexOf('\n\n', from)) >= 0) {
          const block = buffered.slice(from, end)
          from = end + 2
          for (const line of block.split('\n')) {
            if (!line.startsWith('data: ')) continue
            try {
              record((JSON.parse(line.slice(6)) as { body?: unknown }).body, at)
            } catch (err) {
              countError(errors, err)
            }
          }
        }
        buffered = buffered.slice(from)
      })
      res.on('error', (err) => countError(errors, err))
      close = () => req.destroy()
      resolve()
    })
    req.on('error', (err) => {
      countError(errors, err)
      reject(err)
    })
    req.end()
  })
}

function startMqtt(source: Extract<SinkSource, { kind: 'mqtt' }>): Promise<void> {
  return new Promise((resolve, reject) => {
    const client: MqttClient = connect(source.url, { ca: source.caPem, protocolVersion: 4, clientId: `bench-sink-${process.pid}`, clean: true, reconnectPeriod: 0 })
    client.on('error', (err) => {
      countError(errors, err)
      reject(err)
    })
    client.on('message', (_topic, payload) => {
      const at = nowMs()
      try {
        record(JSON.parse(payload.toString('utf8')), at)
      } catch (err) {
        countError(errors, err)
      }
    })
    client.once('connect', () => {
      // QoS 0: the subscriber must not be throttled by MQTT's in-flight window.
      client.subscribe(source.topic, { qos: 0 }, (err) => (err ? reject(err) : resolve()))
    })
    close = () => client.end(true)
  })
}

async function stop(waitMs: number, expected: number): Promise<void> {
  const until = nowMs() + waitMs
  while (received < expected && nowMs() < until) await new Promise((r) => setTimeout(r, 20))
  close?.()
  close = undefined
  reply({ type: 'sink-stopped', received, foreign, latencyMs: latency.toArray(), errors })
}

async function handle(cmd: SinkCommand): Promise<void> {
  if (cmd.type === 'start') {
    tag = cmd.tag
    received = 0
    foreign = 0
    latency = new Samples()
    errors = {}
    await (cmd.source.kind === 'sse' ? startSse(cmd.source) : startMqtt(cmd.source))
    reply({ type: 'sink-started' })
  } else {
    await stop(cmd.waitMs, cmd.expected)
  }
}

process.on('message', (cmd: SinkCommand) => {
  handle(cmd).catch((err: unknown) => {
    reply({ type: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
    process.exit(1)
  })
})
process.on('disconnect', () => process.exit(0))
reply({ type: 'sink-ready' })
