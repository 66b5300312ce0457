/**
 * Telemetry out: GET /events streams D2C messages live as server-sent events (`id:` is the offset, so a reconnecting
 * reader resumes with Last-Event-ID), optionally from an earlier offset and filtered by device and module;
 * GET /events/messages reads one page of the retained stream as JSON.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { EventRecord } from '@ledge/storage'
import { errors } from '../../errors.js'
import { guard, type HttpDeps } from '../context.js'

interface EventsQuery {
  deviceId?: string
  moduleId?: string
  from?: string
  limit?: string
}

const HEARTBEAT_MS = 15_000

/** The JSON form of an event: the body as JSON when it parses, else UTF-8 text, else base64. */
export function eventToJson(e: EventRecord): Record<string, unknown> {
  let body: unknown
  let bodyEncoding: 'json' | 'utf8' | 'base64'
  const text = e.body.toString('utf8')
  if (Buffer.from(text, 'utf8').equals(e.body)) {
    try {
      body = JSON.parse(text)
      bodyEncoding = 'json'
    } catch {
      body = text
      bodyEncoding = 'utf8'
    }
  } else {
    body = e.body.toString('base64')
    bodyEncoding = 'base64'
  }
  return {
    offset: e.offset,
    deviceId: e.deviceId,
    moduleId: e.moduleId,
    enqueuedTimeUtc: new Date(e.enqueuedTime).toISOString(),
    systemProperties: e.systemProperties,
    properties: e.properties,
    body,
    bodyEncoding,
  }
}

async function startOffset(deps: HttpDeps, from: string | undefined, lastEventId: string | undefined): Promise<number> {
  if (lastEventId !== undefined && /^\d+$/.test(lastEventId)) return Number(lastEventId) + 1
  const bounds = await deps.events.bounds()
  if (from === undefined || from === 'latest' || from === 'end') return bounds.next
  if (from === 'earliest' || from === 'start') return bounds.first
  if (!/^\d+$/.test(from)) throw errors.argumentInvalid(`from must be an offset, 'earliest' or 'latest', not '${from}'`)
  return Number(from)
}

function filterOf(q: EventsQuery): { deviceId?: string; moduleId?: string | null } {
  return { ...(q.deviceId ? { deviceId: q.deviceId } : {}), ...(q.moduleId ? { moduleId: q.moduleId } : {}) }
}

function matches(e: EventRecord, f: { deviceId?: string; moduleId?: string | null }): boolean {
  return (f.deviceId === undefined || e.deviceId === f.deviceId) && (f.moduleId === undefined || e.moduleId === f.moduleId)
}

export function eventRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const connect = guard(deps, 'ServiceConnect')

  app.get('/events/messages', { preHandler: connect }, async (request: FastifyRequest) => {
    const q = request.query as EventsQuery
    const limit = q.limit === undefined ? 100 : Number(q.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw errors.argumentInvalid('limit must be an integer from 1 to 1000')
    const from = await startOffset(deps, q.from ?? 'earliest', undefined)
    const events = await deps.events.read({ from, limit, ...filterOf(q) })
    const next = events.length ? events[events.length - 1]!.offset + 1 : from
    return { events: events.map(eventToJson), next }
  })

  app.get('/events', { preHandler: connect }, async (request, reply) => {
    const q = request.query as EventsQuery
    const filter = filterOf(q)
    const lastId = request.headers['last-event-id']
    let next = await startOffset(deps, q.from, Array.isArray(lastId) ? lastId[0] : lastId)
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.write(': ledge events stream\n\n')
    // Events committed together (a batch of hundreds) leave in one write at the end of the tick, not one TLS record
    // each; a replay of history is written every 64 KiB.
    let unsent = ''
    const flush = (): void => {
      const text = unsent
      unsent = ''
      if (text !== '' && !res.writableEnded) res.write(text)
    }
    const send = (e: EventRecord): void => {
      if (e.offset < next) return
      next = e.offset + 1
      if (!matches(e, filter)) return
      if (unsent === '') process.nextTick(flush)
      unsent += `id: ${e.offset}\nevent: message\ndata: ${JSON.stringify(eventToJson(e))}\n\n`
      if (unsent.length > 64 * 1024) flush()
    }
    // Listen first and buffer, then replay history: nothing committed in between is missed or sent twice.
    let buffered: EventRecord[] | undefined = []
    const unsubscribe = deps.events.onCommitted((e) => (buffered ? buffered.push(e) : send(e)))
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS)
    const stop = (): void => {
      clearInterval(heartbeat)
      unsubscribe()
    }
    res.on('close', stop)
    try {
      for (;;) {
        const page = await deps.events.read({ from: next, limit: 500, ...filter })
        if (page.length === 0) break
        for (const e of page) send(e)
        if (page.length < 500) break
      }
    } catch (err) {
      request.log.warn({ err, event: 'events.replay_failed' }, 'could not replay the events stream')
      stop()
      res.end()
      return
    }
    const pending = buffered
    buffered = undefined
    for (const e of pending) send(e)
  })
}
