/**
 * The hub's public REST API (IoT Hub's paths, api-version 2021-04-12), as the dashboard uses it. Every call carries a
 * service SAS token in the Authorization header; errors become {@link HubError} with IoT Hub's error code and text.
 */
import type { Session } from './session.js'

export const API_VERSION = '2021-04-12'

export class HubError extends Error {
  constructor(
    readonly status: number,
    /** IoT Hub's error code (`DeviceNotFound`, `ArgumentInvalid`, …), or `NetworkError`. */
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'HubError'
  }

  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403
  }
}

/** `{"Message":"ErrorCode:<Code>;<text>", "ErrorCode": …}` → code and text. */
export function parseHubError(status: number, body: unknown, statusText = ''): HubError {
  if (body && typeof body === 'object') {
    const b = body as { Message?: unknown; ErrorCode?: unknown; message?: unknown }
    if (typeof b.Message === 'string') {
      const m = /^ErrorCode:([^;]*);([\s\S]*)$/.exec(b.Message)
      if (m) return new HubError(status, m[1] || String(b.ErrorCode ?? status), m[2]!)
      return new HubError(status, typeof b.ErrorCode === 'string' ? b.ErrorCode : String(status), b.Message)
    }
    if (typeof b.message === 'string') return new HubError(status, String(status), b.message)
  }
  const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 300) : statusText || `HTTP ${status}`
  return new HubError(status, String(status), text)
}

export interface Page<T> {
  items: T[]
  /** Pass back to get the next page; undefined on the last one. */
  continuation: string | undefined
}

export interface MethodResult {
  status: number
  payload: unknown
}

export interface Twin {
  deviceId: string
  moduleId?: string
  etag?: string
  status?: string
  connectionState?: string
  lastActivityTime?: string
  capabilities?: { iotEdge?: boolean }
  tags?: Record<string, unknown>
  properties?: { desired?: Record<string, unknown>; reported?: Record<string, unknown> }
  version?: number
}

export interface Device {
  deviceId: string
  status: string
  statusReason?: string
  connectionState: string
  connectionStateUpdatedTime?: string
  lastActivityTime?: string
  cloudToDeviceMessageCount?: number
  capabilities?: { iotEdge?: boolean }
}

export interface ModuleIdentity {
  moduleId: string
  deviceId: string
  managedBy?: string | null
  connectionState: string
  lastActivityTime?: string
}

/** One D2C message of the events stream, as `GET /events` and `/events/messages` give it. */
export interface HubEvent {
  offset: number
  deviceId: string
  moduleId: string | null
  enqueuedTimeUtc: string
  systemProperties: Record<string, string | undefined>
  properties: Record<string, string>
  body: unknown
  bodyEncoding: 'json' | 'utf8' | 'base64'
}

export interface C2dInput {
  body: string
  contentType?: string
  properties?: Record<string, string>
  messageId?: string
}

const seg = (s: string): string => encodeURIComponent(s)

export class HubApi {
  constructor(
    private readonly session: Pick<Session, 'token'>,
    private readonly base = '',
  ) {}

  url(path: string, query: Record<string, string | undefined> = {}): string {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, v)
    q.set('api-version', API_VERSION)
    return `${this.base}${path}?${q}`
  }

  async authHeader(): Promise<string> {
    return this.session.token()
  }

  async request<T>(method: string, path: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string>; query?: Record<string, string | undefined>; signal?: AbortSignal } = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const headers: Record<string, string> = { authorization: await this.session.token(), accept: 'application/json', ...opts.headers }
    let body: string | undefined
    if (opts.raw !== undefined) body = opts.raw
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body)
      headers['content-type'] ??= 'application/json; charset=utf-8'
    }
    let res: Response
    try {
      res = await fetch(this.url(path, opts.query), { method, headers, ...(body !== undefined ? { body } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err
      throw new HubError(0, 'NetworkError', `cannot reach the hub (${(err as Error).message}): is it running?`)
    }
    const text = await res.text()
    let parsed: unknown = text
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        /* not JSON */
      }
    } else parsed = undefined
    if (!res.ok) throw parseHubError(res.status, parsed, res.statusText)
    return { status: res.status, body: parsed as T, headers: res.headers }
  }

  /** One page of `POST /devices/query`. */
  async query<T = Twin>(sql: string, opts: { pageSize?: number; continuation?: string; signal?: AbortSignal } = {}): Promise<Page<T>> {
    const headers: Record<string, string> = { 'x-ms-max-item-count': String(opts.pageSize ?? 100) }
    if (opts.continuation) headers['x-ms-continuation'] = opts.continuation
    const res = await this.request<T[]>('POST', '/devices/query', { body: { query: sql }, headers, ...(opts.signal ? { signal: opts.signal } : {}) })
    return { items: res.body ?? [], continuation: res.headers.get('x-ms-continuation') ?? undefined }
  }

  /** Every row of a query (for small results: module twins of one device, aggregates). */
  async queryAll<T = Twin>(sql: string, signal?: AbortSignal, max = 5000): Promise<T[]> {
    const out: T[] = []
    let continuation: string | undefined
    do {
      const page = await this.query<T>(sql, { pageSize: 1000, ...(continuation ? { continuation } : {}), ...(signal ? { signal } : {}) })
      out.push(...page.items)
      continuation = page.continuation
    } while (continuation && out.length < max)
    return out
  }

  async device(id: string, signal?: AbortSignal): Promise<Device> {
    return (await this.request<Device>('GET', `/devices/${seg(id)}`, signal ? { signal } : {})).body
  }

  async twin(id: string, moduleId?: string, signal?: AbortSignal): Promise<Twin> {
    const path = moduleId ? `/twins/${seg(id)}/modules/${seg(moduleId)}` : `/twins/${seg(id)}`
    return (await this.request<Twin>('GET', path, signal ? { signal } : {})).body
  }

  async modules(id: string, signal?: AbortSignal): Promise<ModuleIdentity[]> {
    return (await this.request<ModuleIdentity[]>('GET', `/devices/${seg(id)}/modules`, signal ? { signal } : {})).body
  }

  async invokeMethod(id: string, moduleId: string | undefined, methodName: string, payload: unknown, responseTimeoutInSeconds = 30): Promise<MethodResult> {
    const path = moduleId ? `/twins/${seg(id)}/modules/${seg(moduleId)}/methods` : `/twins/${seg(id)}/methods`
    const body = { methodName, payload, responseTimeoutInSeconds, connectTimeoutInSeconds: 0 }
    return (await this.request<MethodResult>('POST', path, { body })).body
  }

  async sendC2d(id: string, msg: C2dInput): Promise<void> {
    const headers: Record<string, string> = { 'content-type': msg.contentType || 'text/plain; charset=utf-8' }
    if (msg.messageId) headers['iothub-messageid'] = msg.messageId
    for (const [k, v] of Object.entries(msg.properties ?? {})) headers[`iothub-app-${k}`] = v
    await this.request('POST', `/devices/${seg(id)}/messages/deviceBound`, { raw: msg.body, headers })
  }

  async applyConfigurationContent(id: string, content: unknown): Promise<void> {
    await this.request('POST', `/devices/${seg(id)}/applyConfigurationContent`, { body: content })
  }

  /** The offset the next D2C message will get (the end of the events stream). */
  async latestOffset(signal?: AbortSignal): Promise<number> {
    const res = await this.request<{ next: number }>('GET', '/events/messages', { query: { from: 'latest', limit: '1' }, ...(signal ? { signal } : {}) })
    return res.body.next
  }
}
