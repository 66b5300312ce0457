/**
 * The hub's REST API over node:https (a custom CA must be passed per request, which fetch cannot do): each request
 * signed with a fresh service SAS token, `?api-version=2021-04-12`, a `Request-Id`, and every failure turned into one
 * {@link CliError} line (`device 'x' does not exist (DeviceNotFound)`, `the hub's TLS certificate is not trusted …`).
 */
import { request as httpsRequest, type RequestOptions } from 'node:https'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { checkServerIdentity, type PeerCertificate } from 'node:tls'
import { isIP } from 'node:net'
import { randomUUID } from 'node:crypto'
import { API_VERSION, createServiceSasToken } from '@ledge/protocol'
import { CliError, HubApiError, errors } from './errors.js'
import type { HubLogin } from './login.js'
import { CLI_VERSION } from './version-info.js'


const TOKEN_TTL_S = 3600
const DEFAULT_TIMEOUT_MS = 30_000

export type HttpMethod = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE'

export interface HubRequest {
  method: HttpMethod
  /** The path with each segment already encoded (see {@link seg}). */
  path: string
  query?: Record<string, string | number | undefined>
  /** Sent as JSON. */
  json?: unknown
  /** Sent as it is (C2D bodies). */
  raw?: Buffer
  headers?: Record<string, string>
  timeoutMs?: number
}

export interface HubResponse<T> {
  status: number
  headers: IncomingHttpHeaders
  body: T
}

/** A path segment, encoded (device ids may hold `:`, `@`, `+` …). */
export function seg(s: string): string {
  return encodeURIComponent(s)
}

/** IoT Hub's error body: `{"Message":"ErrorCode:<Code>;<text>","ErrorCode":"<Code>"}`, or anything else. */
export function parseHubError(status: number, statusText: string, text: string): HubApiError {
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>
    let message = typeof b.Message === 'string' ? b.Message : typeof b.message === 'string' ? b.message : ''
    let code = typeof b.ErrorCode === 'string' ? b.ErrorCode : undefined
    const m = /^ErrorCode:([^;]*);([\s\S]*)$/.exec(message)
    if (m) {
      code ??= m[1]
      message = m[2]!
      // Azure's hub nests a JSON document in the text at times.
      try {
        const inner = JSON.parse(message) as { Message?: unknown }
        if (typeof inner.Message === 'string') message = inner.Message
      } catch {
        /* plain text */
      }
    }
    if (message) return new HubApiError(message.replace(/\s*\n\s*/g, ' ').trim(), status, code)
  }
  const snippet = text.trim().slice(0, 200).replace(/\s*\n\s*/g, ' ')
  return new HubApiError(`the hub answered HTTP ${status} ${statusText}${snippet ? `: ${snippet}` : ''}`, status, undefined)
}

export class HubClient {
  constructor(
    readonly login: HubLogin,
    private readonly opts: { signal?: AbortSignal; now?: () => number } = {},
  ) {}

  /** A fresh service token (sr = host name, unencoded; skn = policy). */
  token(): string {
    const now = this.opts.now?.() ?? Date.now()
    return createServiceSasToken({ hostName: this.login.hostName, policyName: this.login.policyName, keyBase64: this.login.key, expiresAt: now / 1000 + TOKEN_TTL_S })
  }

  /** Sends a request and reads a JSON (or empty) answer; an HTTP error becomes a {@link HubApiError}. */
  async request<T = unknown>(r: HubRequest): Promise<HubResponse<T>> {
    const res = await this.open(r)
    const text = await readBody(res)
    const status = res.statusCode ?? 0
    if (status >= 400) throw parseHubError(status, res.statusMessage ?? '', text)
    let body: unknown = undefined
    if (text) {
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
    }
    return { status, headers: res.headers, body: body as T }
  }

  /** Opens a long-lived response (server-sent events); an HTTP error becomes a {@link HubApiError}. */
  async stream(r: HubRequest): Promise<IncomingMessage> {
    const res = await this.open(r)
    const status = res.statusCode ?? 0
    if (status >= 400) throw parseHubError(status, res.statusMessage ?? '', await readBody(res))
    return res
  }

  private open(r: HubRequest): Promise<IncomingMessage> {
    const { url, ca, hostName } = this.login
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(r.query ?? {})) if (v !== undefined) params.set(k, String(v))
    params.set('api-version', API_VERSION)
    const body = r.json !== undefined ? Buffer.from(JSON.stringify(r.json), 'utf8') : r.raw
    const headers: Record<string, string> = {
      authorization: this.token(),
      'request-id': randomUUID(),
      'user-agent': `ledge-cli/${CLI_VERSION}`,
      accept: 'application/json',
      ...(r.json !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      ...(body ? { 'content-length': String(body.length) } : {}),
      ...r.headers,
    }
    const options: RequestOptions = {
      method: r.method,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || 443,
      path: `${r.path}?${params.toString()}`,
      headers,
      agent: false,
      // The certificate must name the hub's host name even when we dial its address (hub.json, --hub-url).
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(hostName, cert),
      ...(isIP(hostName) === 0 ? { servername: hostName } : {}),
      ...(ca ? { ca: ca.pem } : {}),
    }
    const timeoutMs = r.timeoutMs ?? DEFAULT_TIMEOUT_MS
    return new Promise<IncomingMessage>((resolve, reject) => {
      const signal = this.opts.signal
      if (signal?.aborted) return reject(cancelled())
      const req = httpsRequest(options, (res) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(res)
      })
      const onAbort = (): void => {
        req.destroy()
        reject(cancelled())
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'LEDGE_TIMEOUT' })))
      req.on('error', (err: NodeJS.ErrnoException) => {
        signal?.removeEventListener('abort', onAbort)
        reject(this.networkError(err, timeoutMs))
      })
      req.end(body)
    })
  }

  /** One line saying what went wrong on the way to the hub, and what to try. */
  networkError(err: NodeJS.ErrnoException, timeoutMs: number): CliError {
    const where = `the hub at ${this.login.url.host}`
    const info = this.login.info
    switch (err.code) {
      case 'ECONNREFUSED': {
        let hint = ''
        if (info) hint = processAlive(info.pid) ? ` (hub.json names process ${info.pid}; is it still starting?)` : `: the hub is not running (start it with \`ledge hub start\`)`
        return errors.failure(`cannot connect to ${where}: connection refused${hint}`, err)
      }
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return errors.failure(`cannot resolve '${this.login.url.hostname}': pass --hub-url https://<address>[:port] (or set LEDGE_HUB_URL) when the hub's host name is not in DNS`, err)
      case 'LEDGE_TIMEOUT':
      case 'ETIMEDOUT':
        return errors.failure(`${where} did not answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`, err)
      case 'ECONNRESET':
      case 'EPIPE':
        return errors.failure(`${where} closed the connection`, err)
      case 'SELF_SIGNED_CERT_IN_CHAIN':
      case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      case 'UNABLE_TO_GET_ISSUER_CERT':
      case 'CERT_SIGNATURE_FAILURE':
        return errors.failure(`the TLS certificate of ${where} is not trusted (${err.code}): pass --ca-file <the hub's CA, ca.pem in its data folder> or set LEDGE_HUB_CA_FILE`, err)
      case 'CERT_HAS_EXPIRED':
        return errors.failure(`the TLS certificate of ${where} has expired`, err)
      case 'ERR_TLS_CERT_ALTNAME_INVALID':
        return errors.failure(`the TLS certificate of ${where} does not name '${this.login.hostName}' (the HostName of the login)`, err)
      default:
        return errors.failure(`request to ${where} failed: ${err.code ? `${err.code} ` : ''}${err.message}`, err)
    }
  }
}

function cancelled(): CliError {
  return new CliError('cancelled', 130)
}

function processAlive(pid: number | undefined): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
  })
}
