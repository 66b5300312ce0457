/**
 * The HTTP adapter of {@link ModuleManagement}: the daemon's management API (api-version 2022-08-03) over a Unix
 * socket (`IOTEDGE_MANAGEMENTURI=unix:///var/run/ledge/mgmt.sock`) or plain HTTP (`http://127.0.0.1:15580`).
 */
import { request } from 'node:http'
import { MANAGEMENT_API_VERSION, type Identity, type IdentityList, type SystemInfo } from '@ledge/protocol'
import { errors } from './errors.js'
import type { AgentModuleDetails, AgentModuleSpec, ModuleManagement } from './module-management.js'

export const MANAGED_BY = 'IotEdge'
const DEFAULT_TIMEOUT_MS = 60_000
/** Calls that may pull an image (create, update, prepareupdate) on a slow link: as long as a reconcile may last. */
const PULL_TIMEOUT_MS = 600_000

interface Target {
  socketPath?: string
  host?: string
  port?: number
}

export function parseManagementUri(uri: string): Target {
  const u = new URL(uri)
  if (u.protocol === 'unix:') return { socketPath: decodeURIComponent(u.pathname) }
  if (u.protocol === 'http:') return { host: u.hostname, port: Number(u.port || 80) }
  throw new Error(`unsupported management URI '${uri}': expected unix:///path/to/mgmt.sock or http://host:port`)
}

export class ManagementClient implements ModuleManagement {
  private readonly target: Target

  constructor(
    private readonly uri: string,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    this.target = parseManagementUri(uri)
  }

  private call<T>(method: string, path: string, what: string, body?: unknown, signal?: AbortSignal, timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS): Promise<{ status: number; body: T | undefined }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const sep = path.includes('?') ? '&' : '?'
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...this.target,
          ...(this.target.socketPath ? { host: 'localhost' } : {}),
          method,
          path: `${path}${sep}api-version=${MANAGEMENT_API_VERSION}`,
          headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
          timeout: timeoutMs,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            const status = res.statusCode ?? 0
            let parsed: unknown
            try {
              parsed = text ? JSON.parse(text) : undefined
            } catch {
              parsed = undefined
            }
            if (status >= 400) {
              const message = (parsed as { message?: string } | undefined)?.message ?? text
              reject(errors.managementApi(status, what, message))
              return
            }
            resolve({ status, body: parsed as T | undefined })
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
      req.on('error', (err) => reject(signal?.aborted ? err : errors.daemonUnreachable(this.uri, err)))
      req.end(payload)
    })
  }

  private pullTimeoutMs(): number {
    return Math.max(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, PULL_TIMEOUT_MS)
  }

  async list(signal?: AbortSignal): Promise<AgentModuleDetails[]> {
    const r = await this.call<{ modules: AgentModuleDetails[] }>('GET', '/modules', 'list modules', undefined, signal)
    return r.body?.modules ?? []
  }

  async get(name: string, signal?: AbortSignal): Promise<AgentModuleDetails | undefined> {
    try {
      return (await this.call<AgentModuleDetails>('GET', `/modules/${encodeURIComponent(name)}`, `get module ${name}`, undefined, signal)).body
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not_found') return undefined
      throw err
    }
  }

  async create(spec: AgentModuleSpec, signal?: AbortSignal): Promise<void> {
    await this.call('POST', '/modules', `create module ${spec.name}`, spec, signal, this.pullTimeoutMs())
  }

  async update(spec: AgentModuleSpec, signal?: AbortSignal): Promise<void> {
    await this.call('PUT', `/modules/${encodeURIComponent(spec.name)}`, `update module ${spec.name}`, spec, signal, this.pullTimeoutMs())
  }

  async prepareUpdate(spec: AgentModuleSpec, signal?: AbortSignal): Promise<void> {
    await this.call('POST', `/modules/${encodeURIComponent(spec.name)}/prepareupdate`, `prepare the update of module ${spec.name}`, spec, signal, this.pullTimeoutMs())
  }

  private async action(name: string, action: 'start' | 'stop' | 'restart', signal?: AbortSignal): Promise<void> {
    // 204 done, 304 already so.
    await this.call('POST', `/modules/${encodeURIComponent(name)}/${action}`, `${action} module ${name}`, undefined, signal)
  }

  start(name: string, signal?: AbortSignal): Promise<void> {
    return this.action(name, 'start', signal)
  }

  stop(name: string, signal?: AbortSignal): Promise<void> {
    return this.action(name, 'stop', signal)
  }

  restart(name: string, signal?: AbortSignal): Promise<void> {
    return this.action(name, 'restart', signal)
  }

  async remove(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call('DELETE', `/modules/${encodeURIComponent(name)}`, `remove module ${name}`, undefined, signal)
    } catch (err) {
      if ((err as { kind?: string }).kind !== 'not_found') throw err
    }
  }

  async listIdentities(signal?: AbortSignal): Promise<Identity[]> {
    return (await this.call<IdentityList>('GET', '/identities/', 'list identities', undefined, signal)).body?.identities ?? []
  }

  async createIdentity(moduleId: string, signal?: AbortSignal): Promise<Identity> {
    const r = await this.call<Identity>('POST', '/identities/', `create identity ${moduleId}`, { moduleId, managedBy: MANAGED_BY }, signal)
    return r.body!
  }

  async updateIdentity(moduleId: string, signal?: AbortSignal): Promise<Identity> {
    const r = await this.call<Identity>('PUT', `/identities/${encodeURIComponent(moduleId)}`, `update identity ${moduleId}`, { moduleId, managedBy: MANAGED_BY }, signal)
    return r.body!
  }

  async deleteIdentity(moduleId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call('DELETE', `/identities/${encodeURIComponent(moduleId)}`, `delete identity ${moduleId}`, undefined, signal)
    } catch (err) {
      if ((err as { kind?: string }).kind !== 'not_found') throw err
    }
  }

  async systemInfo(signal?: AbortSignal): Promise<SystemInfo> {
    return (await this.call<SystemInfo>('GET', '/systeminfo', 'system info', undefined, signal)).body!
  }
}
