/**
 * The small HTTP toolkit both edge APIs share (node:http, no framework: the APIs are a dozen routes on Unix
 * sockets): a router with `:params`, JSON replies that always carry `Content-Type: application/json` (the Azure SDK
 * ignores bodies without it), `{"message"}` errors from `AppError` kinds, the `api-version` check, a per-server
 * limit on concurrent requests, and Unix-socket listening with a fixed file mode.
 */
import { createConnection } from 'node:net'
import { chmod, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { HTTP_STATUS, isAppError, type Logger } from '@ledge/common'
import { errors } from '../errors.js'
import { ensureDir } from '../files.js'

export interface RequestContext {
  req: IncomingMessage
  res: ServerResponse
  params: Record<string, string>
  query: URLSearchParams
  /** The parsed JSON body (undefined when there is none). */
  body: () => Promise<unknown>
}

/** A handler returns the JSON to send with `status` (default 200), or `undefined` after replying itself. */
export type Handler = (ctx: RequestContext) => Promise<{ status?: number; json?: unknown } | undefined>

interface Route {
  method: string
  pattern: RegExp
  keys: string[]
  handler: Handler
}

const MAX_BODY_BYTES = 1024 * 1024

export class Router {
  private routes: Route[] = []

  add(method: string, path: string, handler: Handler): this {
    const keys: string[] = []
    const pattern = new RegExp(`^${path.replace(/\/:([A-Za-z]+)/g, (_m, k: string) => (keys.push(k), '/([^/]+)'))}/?$`)
    this.routes.push({ method, pattern, keys, handler })
    return this
  }

  /** The route for `method` + `path`; `methodNotAllowed` when the path exists for other methods only. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'methodNotAllowed' | undefined {
    let pathMatched = false
    for (const route of this.routes) {
      const m = route.pattern.exec(path)
      if (!m) continue
      pathMatched = true
      if (route.method !== method) continue
      const params: Record<string, string> = {}
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)))
      return { route, params }
    }
    return pathMatched ? 'methodNotAllowed' : undefined
  }
}

export function sendJson(res: ServerResponse, status: number, json?: unknown): void {
  if (json === undefined) {
    res.writeHead(status).end()
    return
  }
  const body = Buffer.from(JSON.stringify(json))
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) }).end(body)
}

export function sendError(res: ServerResponse, err: unknown, log: Logger): void {
  const status = isAppError(err) ? HTTP_STATUS[err.kind] : 500
  if (status >= 500) log.warn({ err, event: 'api.error' }, 'request failed')
  const message = isAppError(err) || status < 500 ? (err as Error).message : `internal error: ${(err as Error).message}`
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendJson(res, status, { message })
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length
    if (size > MAX_BODY_BYTES) throw errors.badRequest(`the body is larger than ${MAX_BODY_BYTES} bytes`)
    chunks.push(c)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw errors.badRequest('the body is not valid JSON')
  }
}

export function checkApiVersion(query: URLSearchParams, accepted: readonly string[]): void {
  const v = query.get('api-version') ?? undefined
  if (v === undefined || !accepted.includes(v)) throw errors.apiVersion(v, accepted)
}

export interface DispatchOptions {
  router: Router
  log: Logger
  /** Accepted `api-version` values (every route requires one). */
  apiVersions: readonly string[]
  /** Requests in flight beyond this get 429 and the connection closed (Azure drops it: edgelet workloadsockets.md). */
  maxConcurrent?: number
}

/** The `request` listener of an edge API server. */
export function dispatcher(o: DispatchOptions): (req: IncomingMessage, res: ServerResponse) => void {
  let inFlight = 0
  return (req, res) => {
    if (o.maxConcurrent !== undefined && inFlight >= o.maxConcurrent) {
      res.setHeader('connection', 'close')
      sendError(res, errors.tooManyRequests(o.maxConcurrent), o.log)
      return
    }
    inFlight++
    res.once('close', () => inFlight--)
    void handle(o, req, res)
  }
}

async function handle(o: DispatchOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const found = o.router.match(req.method ?? 'GET', url.pathname)
    if (found === undefined) throw errors.notFound(`no route ${req.method} ${url.pathname}`)
    if (found === 'methodNotAllowed') {
      sendJson(res, 405, { message: `${req.method} is not allowed on ${url.pathname}` })
      return
    }
    checkApiVersion(url.searchParams, o.apiVersions)
    let body: Promise<unknown> | undefined
    const result = await found.route.handler({ req, res, params: found.params, query: url.searchParams, body: () => (body ??= readBody(req)) })
    if (result !== undefined && !res.headersSent) sendJson(res, result.status ?? 200, result.json)
    o.log.debug({ event: 'api.request', method: req.method, path: url.pathname, status: res.statusCode }, 'request')
  } catch (err) {
    sendError(res, err, o.log)
  }
}

/** True when something answers on the socket file (another daemon): then it must not be removed. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path)
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

/**
 * Listens on the Unix socket `path` with file mode `mode` (a stale socket file from a crash is replaced; a live one
 * is an error). The folder is created with `dirMode`.
 */
export async function listenUnix(server: Server, path: string, mode: number, dirMode = 0o755): Promise<void> {
  await ensureDir(dirname(path), dirMode)
  const existing = await stat(path).catch(() => undefined)
  if (existing) {
    if (!existing.isSocket()) throw new Error(`${path} exists and is not a socket`)
    if (await socketAnswers(path)) throw new Error(`${path} is in use: is another edge daemon running?`)
    await rm(path, { force: true })
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  await chmod(path, mode)
}

/** Closes the server and its idle and active connections; the socket file goes with it. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
