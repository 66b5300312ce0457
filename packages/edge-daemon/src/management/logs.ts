/**
 * `GET /modules/{name}/logs?follow&tail&since&until&timestamps[&format=ndjson]`.
 *
 * Framing (Azure sends Docker's multiplexed stream; Ledge sends plain lines, what `iotedge logs` prints):
 * - default `Content-Type: text/plain; charset=utf-8`: one log line per `\n`-terminated line; with `timestamps=true`
 *   each starts with its RFC 3339 time and a space. stdout and stderr are interleaved in time order.
 * - `format=ndjson`: `Content-Type: application/x-ndjson`, one JSON object `{"stream","time","text"}` per line.
 * `since`/`until`: Unix seconds, an RFC 3339 time, or a duration back from now (`90s`, `10m`, `2h`, `1d`).
 * `tail`: a number of lines, or `all`. With `follow=true` the reply stays open until the client goes away.
 */
import type { LogOptions } from '@ledge/module-runtime'
import { errors } from '../errors.js'
import type { RequestContext } from '../http/server-kit.js'
import type { ModuleService } from '../modules/module-service.js'

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseLogTime(name: string, v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000
  const d = /^(\d+)([smhd])$/.exec(v)
  if (d) return now - Number(d[1]) * UNITS[d[2]!]!
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw errors.badRequest(`${name} must be Unix seconds, an RFC 3339 time or a duration like 10m, not '${v}'`)
  return t
}

export function logOptionsOf(q: URLSearchParams): LogOptions {
  const o: LogOptions = {}
  const tail = q.get('tail')
  if (tail !== null && tail !== 'all') {
    if (!/^\d+$/.test(tail)) throw errors.badRequest(`tail must be a number of lines or 'all', not '${tail}'`)
    o.tail = Number(tail)
  }
  const since = q.get('since')
  if (since !== null) o.since = parseLogTime('since', since)
  const until = q.get('until')
  if (until !== null) o.until = parseLogTime('until', until)
  if (q.get('follow') === 'true') o.follow = true
  return o
}

export async function streamLogs(modules: ModuleService, { params, query, req, res }: RequestContext): Promise<void> {
  const opts = logOptionsOf(query)
  const timestamps = query.get('timestamps') === 'true'
  const ndjson = query.get('format') === 'ndjson'
  const abort = new AbortController()
  res.once('close', () => abort.abort())
  req.once('close', () => {
    if (!res.writableFinished) abort.abort()
  })
  const lines = await modules.logs(params.name!, { ...opts, signal: abort.signal })
  res.writeHead(200, { 'content-type': ndjson ? 'application/x-ndjson' : 'text/plain; charset=utf-8' })
  try {
    for await (const l of lines) {
      if (abort.signal.aborted) break
      const text = ndjson ? `${JSON.stringify({ stream: l.stream, time: l.time, text: l.text })}\n` : `${timestamps ? `${l.time} ` : ''}${l.text}\n`
      if (!res.write(text)) await new Promise((r) => res.once('drain', r))
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err
  }
  res.end()
}
