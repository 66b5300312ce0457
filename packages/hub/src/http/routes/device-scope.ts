/**
 * The edge hub's device-scope API, as IoT Hub has it (Azure/iotedge `DeviceScopeApiClient` and
 * `NestedDeviceScopeApiClient`): the identities, with their keys, that an edge hub may authenticate locally.
 *
 * | Route (all under `/devices/{edge}/modules/$edgeHub/`) | Azure api-version | Request |
 * |---|---|---|
 * | `GET devicesAndModulesInDeviceScope?deviceCount=&continuationToken=` | 2018-08-30-preview | query |
 * | `POST devicesAndModulesInDeviceScope` | (Ledge) | `{ pageSize, continuationLink? }` |
 * | `POST devicesAndModulesInTargetDeviceScope` | 2020-06-30-preview | `{ pageSize, continuationLink?, authChain }` |
 * | `GET deviceAndModuleInDeviceScope?targetDeviceId=&targetModuleId=` | 2018-08-30-preview | query |
 * | `POST getDeviceAndModuleOnBehalfOf` | 2020-06-30-preview | `{ targetDeviceId, targetModuleId?, authChain }` |
 *
 * Every answer is IoT Hub's `ScopeResult`: `{ devices: Device[], modules: Module[], continuationLink: string | null }`
 * (the REST shapes of GET /devices/{id} and /devices/{id}/modules/{m}, keys included). `continuationLink` is a path
 * relative to the hub, which the legacy client GETs as is and the nested client posts back in its body.
 *
 * Authorization: a SAS token of the module `{edge}/$edgeHub` signed with its key, or a service token with
 * RegistryRead. A device that is not an IoT Edge device has no scope: 404.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SUPPORTED_API_VERSIONS, type Device, type Module } from '@ledge/protocol'
import type { IdentityKey } from '@ledge/storage'
import { errors } from '../../errors.js'
import type { HttpDeps } from '../context.js'

const EDGE_HUB = '$edgeHub'
/** The preview versions the Azure edge hub sends to these routes, besides the hub's own. */
const SCOPE_API_VERSIONS: readonly string[] = [...SUPPORTED_API_VERSIONS, '2018-08-30-preview', '2020-06-30-preview']
export const DEFAULT_SCOPE_PAGE_SIZE = 100
export const MAX_SCOPE_PAGE_SIZE = 1000

type Params = { id: string; mid: string }

export interface ScopeResult {
  devices: Device[]
  modules: Module[]
  continuationLink: string | null
}

function apiVersion(request: FastifyRequest): string {
  const v = (request.query as Record<string, string | undefined>)['api-version']
  if (v === undefined || !SCOPE_API_VERSIONS.includes(v)) throw errors.invalidProtocolVersion(v, SCOPE_API_VERSIONS)
  return v
}

/** The cursor travels as base64url JSON `[deviceId, moduleId]`: opaque to clients. */
export function encodeContinuationToken(key: IdentityKey): string {
  return Buffer.from(JSON.stringify([key.deviceId, key.moduleId])).toString('base64url')
}

export function decodeContinuationToken(token: string): IdentityKey {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(v) && typeof v[0] === 'string' && (v[1] === null || typeof v[1] === 'string')) return { deviceId: v[0], moduleId: v[1] }
  } catch {
    /* reported below */
  }
  throw errors.argumentInvalid(`continuation token '${token}' is not one this hub gave out`)
}

/** A continuation link (a relative URL with `continuationToken=`) or a bare token, as clients send it back. */
function cursorOf(link: string | null | undefined): IdentityKey | undefined {
  if (link === undefined || link === null || link === '') return undefined
  if (link.includes('?') || link.startsWith('/')) {
    const token = new URL(link, 'https://hub.invalid').searchParams.get('continuationToken')
    if (!token) throw errors.argumentInvalid(`continuationLink '${link}' carries no continuationToken`)
    return decodeContinuationToken(token)
  }
  return decodeContinuationToken(link)
}

function pageSizeOf(v: unknown): number {
  if (v === undefined || v === null || v === '' || v === 0 || v === '0') return DEFAULT_SCOPE_PAGE_SIZE
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > MAX_SCOPE_PAGE_SIZE) throw errors.argumentInvalid(`pageSize must be an integer from 1 to ${MAX_SCOPE_PAGE_SIZE}, not '${String(v)}'`)
  return n
}

function continuationLink(edgeDeviceId: string, pageSize: number, next: IdentityKey | undefined, version: string): string | null {
  if (!next) return null
  return `/devices/${encodeURIComponent(edgeDeviceId)}/modules/${encodeURIComponent(EDGE_HUB)}/devicesAndModulesInDeviceScope` +
    `?deviceCount=${pageSize}&continuationToken=${encodeContinuationToken(next)}&api-version=${encodeURIComponent(version)}`
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const b = request.body
  if (b === undefined || b === null || b === '') return {}
  if (typeof b !== 'object' || Array.isArray(b)) throw errors.argumentInvalid('the request body must be a JSON object')
  return b as Record<string, unknown>
}

export function deviceScopeRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const base = '/devices/:id/modules/:mid'

  /** api-version, `$edgeHub` in the path, and the caller; returns the api-version. */
  const authorize = async (request: FastifyRequest<{ Params: Params }>): Promise<string> => {
    const version = apiVersion(request)
    const { id, mid } = request.params
    if (mid !== EDGE_HUB) throw errors.notFound(`only the ${EDGE_HUB} module has a device-scope API, not '${mid}'`)
    await deps.authenticator.authenticateEdgeHubOrService(request.headers.authorization, id, 'RegistryRead', (m) => deps.registry.getRecord(id, m))
    return version
  }

  /**
   * The target edge device of a nested request: `authChain` is `target;parent;…;actor` (entries may be `d/m`), each
   * device a child of the next, ending at the actor in the path.
   */
  const targetOf = async (actor: string, authChain: unknown): Promise<string> => {
    if (typeof authChain !== 'string' || authChain.trim() === '') throw errors.argumentInvalid('authChain is required: "targetEdgeDeviceId;…;actorEdgeDeviceId"')
    const devices: string[] = []
    for (const entry of authChain.split(';')) {
      const d = entry.trim().split('/')[0]!
      if (d && devices[devices.length - 1] !== d) devices.push(d)
    }
    if (devices[devices.length - 1] !== actor) throw errors.forbidden(`authChain '${authChain}' does not end at the calling edge device '${actor}'`)
    for (let i = 0; i + 1 < devices.length; i++) {
      const child = await deps.registry.getRecord(devices[i]!)
      const parent = await deps.registry.getRecord(devices[i + 1]!)
      const parentScope = parent?.capabilities.iotEdge ? parent.deviceScope : undefined
      if (!child || !parentScope || !(child.parentScopes ?? []).includes(parentScope)) {
        throw errors.forbidden(`authChain '${authChain}': '${devices[i]}' is not a child of edge device '${devices[i + 1]}'`)
      }
    }
    return devices[0]!
  }

  const page = async (edge: string, pageSize: number, link: string | null | undefined, version: string): Promise<ScopeResult> => {
    const r = await deps.registry.deviceScopePage(edge, cursorOf(link), pageSize)
    return { devices: r.devices, modules: r.modules, continuationLink: continuationLink(edge, pageSize, r.next, version) }
  }

  app.get<{ Params: Params }>(`${base}/devicesAndModulesInDeviceScope`, async (request) => {
    const version = await authorize(request)
    const q = request.query as Record<string, string | undefined>
    const token = q.continuationToken
    return page(request.params.id, pageSizeOf(q.deviceCount ?? q.pageSize), token ? `?continuationToken=${encodeURIComponent(token)}` : undefined, version)
  })

  app.post<{ Params: Params }>(`${base}/devicesAndModulesInDeviceScope`, async (request) => {
    const version = await authorize(request)
    const body = bodyOf(request)
    return page(request.params.id, pageSizeOf(body.pageSize), body.continuationLink as string | null | undefined, version)
  })

  app.post<{ Params: Params }>(`${base}/devicesAndModulesInTargetDeviceScope`, async (request) => {
    const version = await authorize(request)
    const body = bodyOf(request)
    const target = await targetOf(request.params.id, body.authChain)
    return page(target, pageSizeOf(body.pageSize), body.continuationLink as string | null | undefined, version)
  })

  app.get<{ Params: Params }>(`${base}/deviceAndModuleInDeviceScope`, async (request): Promise<ScopeResult> => {
    await authorize(request)
    const q = request.query as Record<string, string | undefined>
    if (!q.targetDeviceId) throw errors.argumentInvalid('targetDeviceId is required')
    const r = await deps.registry.deviceScopeIdentity(request.params.id, q.targetDeviceId, q.targetModuleId || null)
    return { ...r, continuationLink: null }
  })

  app.post<{ Params: Params }>(`${base}/getDeviceAndModuleOnBehalfOf`, async (request): Promise<ScopeResult> => {
    await authorize(request)
    const body = bodyOf(request)
    if (typeof body.targetDeviceId !== 'string' || body.targetDeviceId === '') throw errors.argumentInvalid('targetDeviceId is required')
    const onBehalfOf = await targetOf(request.params.id, body.authChain)
    const moduleId = typeof body.targetModuleId === 'string' && body.targetModuleId !== '' ? body.targetModuleId : null
    const r = await deps.registry.deviceScopeIdentity(onBehalfOf, body.targetDeviceId, moduleId)
    return { ...r, continuationLink: null }
  })
}
