/**
 * The hub's device-scope API, seen from the edge hub (Azure/iotedge `NestedDeviceScopeApiClient`): pages of
 * `POST /devices/{edge}/modules/$edgeHub/devicesAndModulesInTargetDeviceScope` and single identities through
 * `POST …/getDeviceAndModuleOnBehalfOf`, api-version 2020-06-30-preview, authorized with the edge hub's own token.
 * The same calls work against Azure IoT Hub and against Ledge's hub.
 */
import { request } from 'node:https'
import { isIP } from 'node:net'
import { AppError, type ErrorKind } from '@ledge/common'
import { EDGE_HUB_MODULE_ID, serviceIdentityFromWire, type ClientIdentity, type ServiceIdentity, type TokenSource } from './service-identity.js'

export const SCOPE_API_VERSION = '2020-06-30-preview'
export const DEFAULT_SCOPE_PAGE_SIZE = 500
const DEFAULT_TIMEOUT_MS = 20_000
/** A hub answering with continuation links forever is a bug; stop rather than loop. */
const MAX_PAGES = 10_000

/** Where the cache gets identities from: this HTTP client, or anything else in tests of the cache's own logic. */
export interface ScopeSource {
  /** Every identity of the scope (all pages). */
  fetchAll(): Promise<ServiceIdentity[]>
  /** One identity; undefined when it is not in the scope (or does not exist). */
  fetchOne(identity: ClientIdentity): Promise<ServiceIdentity | undefined>
}

export interface DeviceScopeClientOptions {
  /** The hub's host name (`HostName` of the connection string). */
  hubHostname: string
  /** Where the REST API is: `host[:port]`; default `hubHostname` on 443. */
  apiHost?: string
  edgeDeviceId: string
  tokenSource: TokenSource
  /** Trust bundle (PEM) for the hub's certificate, beside the system's. */
  ca?: string | Buffer
  pageSize?: number
  timeoutMs?: number
}

function kindOf(status: number): ErrorKind {
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 429) return 'throttled'
  if (status >= 400 && status < 500) return 'invalid'
  return 'unavailable'
}

export class DeviceScopeClient implements ScopeSource {
  private readonly host: string
  private readonly port: number

  constructor(private readonly o: DeviceScopeClientOptions) {
    const target = o.apiHost ?? o.hubHostname
    const m = /^(.*?)(?::(\d+))?$/.exec(target)!
    this.host = m[1]!
    this.port = m[2] ? Number(m[2]) : 443
  }

  private path(op: string): string {
    return `/devices/${encodeURIComponent(this.o.edgeDeviceId)}/modules/${encodeURIComponent(EDGE_HUB_MODULE_ID)}/${op}?api-version=${SCOPE_API_VERSION}`
  }

  async fetchAll(): Promise<ServiceIdentity[]> {
    const out: ServiceIdentity[] = []
    let continuationLink: string | undefined
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const body = { pageSize: this.o.pageSize ?? DEFAULT_SCOPE_PAGE_SIZE, authChain: this.o.edgeDeviceId, ...(continuationLink ? { continuationLink } : {}) }
      const result = await this.post(this.path('devicesAndModulesInTargetDeviceScope'), body)
      out.push(...identitiesOf(result))
      continuationLink = typeof result.continuationLink === 'string' && result.continuationLink !== '' ? result.continuationLink : undefined
      if (!continuationLink) return out
    }
    throw new AppError('ERR_SCOPE_API', 'internal', `the hub gave more than ${MAX_PAGES} pages of device scope`)
  }

  async fetchOne(identity: ClientIdentity): Promise<ServiceIdentity | undefined> {
    const body = { targetDeviceId: identity.deviceId, ...(identity.moduleId ? { targetModuleId: identity.moduleId } : {}), authChain: this.o.edgeDeviceId }
    const result = await this.post(this.path('getDeviceAndModuleOnBehalfOf'), body)
    return identitiesOf(result).find((i) => i.deviceId === identity.deviceId && (i.moduleId ?? undefined) === (identity.moduleId ?? undefined))
  }

  private async post(path: string, body: unknown): Promise<Record<string, unknown>> {
    const token = await this.o.tokenSource()
    const payload = Buffer.from(JSON.stringify(body))
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.host, port: this.port, path, method: 'POST',
        ...(isIP(this.host) ? {} : { servername: this.host }),
        ...(this.o.ca ? { ca: this.o.ca } : {}),
        headers: { authorization: token, 'content-type': 'application/json; charset=utf-8', 'content-length': payload.length, 'user-agent': 'ledge-edge-hub' },
        timeout: this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          if (status < 200 || status >= 300) {
            reject(new AppError('ERR_SCOPE_API', kindOf(status), `device scope request ${path.split('?')[0]} failed with HTTP ${status}: ${text.slice(0, 300)}`, { details: { status } }))
            return
          }
          try {
            const parsed = JSON.parse(text) as unknown
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object')
            resolve(parsed as Record<string, unknown>)
          } catch (err) {
            reject(new AppError('ERR_SCOPE_API', 'unavailable', `device scope answer is not a ScopeResult: ${(err as Error).message}`))
          }
        })
      })
      req.on('timeout', () => req.destroy(new AppError('ERR_SCOPE_API', 'timeout', `device scope request timed out after ${this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`)))
      req.on('error', (err) => reject(err instanceof AppError ? err : new AppError('ERR_SCOPE_API', 'unavailable', `device scope request failed: ${err.message}`, { cause: err })))
      req.end(payload)
    })
  }
}

function identitiesOf(result: Record<string, unknown>): ServiceIdentity[] {
  const out: ServiceIdentity[] = []
  for (const d of Array.isArray(result.devices) ? result.devices : []) {
    const id = serviceIdentityFromWire(d, 'device')
    if (id) out.push(id)
  }
  for (const m of Array.isArray(result.modules) ? result.modules : []) {
    const id = serviceIdentityFromWire(m, 'module')
    if (id) out.push(id)
  }
  return out
}
