/**
 * The hub's REST API, called AS THE EDGE DEVICE: IoT Hub lets an edge device manage its own module identities with
 * its device SAS token (`sr=<host>/devices/<d>`, no `skn`). HTTPS to `https://<iothub_hostname>:<hub_https_port>`
 * (443 unless `[ledge] hub_https_port`), trusting `[ledge] hub_ca_cert` plus the system store.
 */
import { request } from 'node:https'
import { isIP } from 'node:net'
import { rootCertificates } from 'node:tls'
import { createIdentitySasToken, type Module } from '@ledge/protocol'
import { errors } from '../errors.js'

export const HUB_API_VERSION = '2021-04-12'
const TOKEN_TTL_S = 3600
const REQUEST_TIMEOUT_MS = 30_000

export interface HubClientOptions {
  hostName: string
  port: number
  deviceId: string
  deviceKey: string
  /** PEM of the hub's CA when it is not in the system store (NODE_EXTRA_CA_CERTS also works). */
  caPem?: string
}

interface Reply {
  status: number
  body: string
}

const seg = encodeURIComponent

export class HubClient {
  constructor(private readonly o: HubClientOptions) {}

  async getModule(moduleId: string): Promise<Module | undefined> {
    const r = await this.call('GET', this.modulePath(moduleId), `reading module identity '${moduleId}'`, [200, 404])
    return r.status === 404 ? undefined : (JSON.parse(r.body) as Module)
  }

  async listModules(): Promise<Module[]> {
    const r = await this.call('GET', `/devices/${seg(this.o.deviceId)}/modules`, 'listing module identities', [200])
    return JSON.parse(r.body) as Module[]
  }

  /** Creates the module identity (a conflict means it exists already: read it). */
  async createModule(moduleId: string, managedBy: string): Promise<Module> {
    const body = { moduleId, deviceId: this.o.deviceId, managedBy }
    const r = await this.call('PUT', this.modulePath(moduleId), `creating module identity '${moduleId}'`, [200, 201, 409], body)
    if (r.status === 409) return (await this.getModule(moduleId)) ?? this.fail(`creating module identity '${moduleId}'`, r)
    return JSON.parse(r.body) as Module
  }

  /** Updates `managedBy` of an existing identity (keys and generation id stay). */
  async updateModule(moduleId: string, managedBy: string): Promise<Module> {
    const body = { moduleId, deviceId: this.o.deviceId, managedBy }
    const r = await this.call('PUT', this.modulePath(moduleId), `updating module identity '${moduleId}'`, [200], body, { 'if-match': '*' })
    return JSON.parse(r.body) as Module
  }

  /** Deletes the identity; true when it existed. */
  async deleteModule(moduleId: string): Promise<boolean> {
    const r = await this.call('DELETE', this.modulePath(moduleId), `deleting module identity '${moduleId}'`, [200, 204, 404], undefined, { 'if-match': '*' })
    return r.status !== 404
  }

  private modulePath(moduleId: string): string {
    return `/devices/${seg(this.o.deviceId)}/modules/${seg(moduleId)}`
  }

  private fail(what: string, r: Reply): never {
    throw errors.hubRequest(what, r.status, r.body)
  }

  private async call(method: string, path: string, what: string, ok: number[], json?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const r = await this.send(method, `${path}?api-version=${HUB_API_VERSION}`, what, json, headers)
    if (!ok.includes(r.status)) this.fail(what, r)
    return r
  }

  private send(method: string, path: string, what: string, json: unknown, headers: Record<string, string>): Promise<Reply> {
    const token = createIdentitySasToken({
      hostName: this.o.hostName, deviceId: this.o.deviceId, keyBase64: this.o.deviceKey, expiresAt: Date.now() / 1000 + TOKEN_TTL_S,
    })
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json))
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.o.hostName,
        port: this.o.port,
        method,
        path,
        ...(isIP(this.o.hostName) ? {} : { servername: this.o.hostName }),
        ...(this.o.caPem ? { ca: [...rootCertificates, this.o.caPem] } : {}),
        headers: {
          authorization: token,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) } : {}),
          ...headers,
        },
        timeout: REQUEST_TIMEOUT_MS,
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', (err) => reject(errors.hubUnreachable(what, err)))
      })
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)))
      req.on('error', (err) => reject(errors.hubUnreachable(what, err)))
      req.end(body)
    })
  }
}
