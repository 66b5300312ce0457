/**
 * `ledge hub monitor-events`: prints device-to-cloud messages as they arrive (GET /events, server-sent events),
 * until Ctrl-C, `--timeout` seconds or `--max-events` events. JSON output is one event object per line.
 */
import type { Command } from 'commander'
import type { IncomingMessage } from 'node:http'
import { act, type CliIo } from '../context.js'
import { errors } from '../errors.js'
import { parseIntFlag } from '../flags.js'
import { SseParser } from '../sse.js'

/** An event as the hub streams it. */
export interface HubEvent {
  offset: number
  deviceId: string
  moduleId: string | null
  enqueuedTimeUtc: string
  systemProperties: Record<string, unknown>
  properties: Record<string, unknown>
  body: unknown
  bodyEncoding: 'json' | 'utf8' | 'base64'
}

/** The hub sends a heartbeat every 15 s; silence for this long means the connection is gone. */
const IDLE_LIMIT_MS = 45_000

/** One readable line per event: time, origin, offset, body, then the application properties if any. */
export function formatEventLine(e: HubEvent): string {
  const origin = e.moduleId ? `${e.deviceId}/${e.moduleId}` : e.deviceId
  const body = e.bodyEncoding === 'json' ? JSON.stringify(e.body) : e.bodyEncoding === 'base64' ? `base64:${String(e.body)}` : String(e.body)
  const props = e.properties && Object.keys(e.properties).length ? `  properties=${JSON.stringify(e.properties)}` : ''
  return `${e.enqueuedTimeUtc}  ${origin}  offset=${e.offset}  ${body.replace(/[\r\n]+/g, ' ')}${props}`
}

export function parseFromFlag(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  if (text === 'earliest' || text === 'latest' || /^\d+$/.test(text)) return text
  throw errors.badFlag('--from', `must be earliest, latest or an offset, not '${text}'`)
}

interface MonitorOpts { deviceId?: string; moduleId?: string; from?: string; timeout?: string; maxEvents?: string }

export function addMonitorEventsCommand(hub: Command, io: CliIo): void {
  const cmd = hub
    .command('monitor-events')
    .description('print device-to-cloud messages as they arrive, until Ctrl-C')
    .option('-d, --device-id <id>', 'only this device')
    .option('-m, --module-id <id>', 'only this module')
    .option('--from <where>', 'earliest (every retained event), latest (new ones) or an offset', 'latest')
    .option('--timeout <s>', 'stop after this many seconds (0: never)', '0')
    .option('--max-events <n>', 'stop after this many events')
  act<MonitorOpts>(cmd, io, async (ctx) => {
    const o = ctx.opts
    const from = parseFromFlag(o.from)
    const timeoutS = parseIntFlag('--timeout', o.timeout, { min: 0 }) ?? 0
    const maxEvents = parseIntFlag('--max-events', o.maxEvents, { min: 1 })
    const res = await ctx.client().stream({
      method: 'GET', path: '/events', query: { deviceId: o.deviceId, moduleId: o.moduleId, from },
      headers: { accept: 'text/event-stream' }, timeoutMs: IDLE_LIMIT_MS,
    })
    const out = ctx.out
    let count = 0
    await follow(res, io.signal, timeoutS * 1000, (e) => {
      out.line(out.json ? JSON.stringify(e) : formatEventLine(e))
      count++
      return maxEvents !== undefined && count >= maxEvents
    })
  })
}

/** Reads events until `onEvent` says stop, the time is up or `signal` aborts; a stream that ends by itself fails. */
function follow(res: IncomingMessage, signal: AbortSignal, timeoutMs: number, onEvent: (e: HubEvent) => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const parser = new SseParser()
    let done = false
    const finish = (err?: Error): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      res.destroy()
      if (err) reject(err)
      else resolve()
    }
    const onAbort = (): void => finish()
    const timer = timeoutMs > 0 ? setTimeout(() => finish(), timeoutMs) : undefined
    if (signal.aborted) return finish()
    signal.addEventListener('abort', onAbort, { once: true })
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      for (const ev of parser.push(chunk)) {
        if (done || ev.event !== 'message') continue
        let e: HubEvent
        try {
          e = JSON.parse(ev.data) as HubEvent
        } catch {
          return finish(errors.failure(`the hub sent an event that is not JSON: ${ev.data.slice(0, 100)}`))
        }
        if (onEvent(e)) return finish()
      }
    })
    res.on('end', () => finish(errors.failure('the hub closed the events stream')))
    res.on('error', (err: NodeJS.ErrnoException) =>
      finish(errors.failure(err.code === 'LEDGE_TIMEOUT' ? `the events stream went silent for ${IDLE_LIMIT_MS / 1000} s` : `the events stream broke: ${err.message}`)))
    res.on('close', () => finish(errors.failure('the hub closed the events stream')))
  })
}
