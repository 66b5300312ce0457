import type { FastifyRequest } from 'fastify'
import type { PolicyRight } from '@ledge/storage'
import { SUPPORTED_API_VERSIONS } from '@ledge/protocol'
import type { Authenticator } from '../auth/authenticator.js'
import type { C2dService } from '../c2d/c2d-service.js'
import type { EventStream } from '../events/event-stream.js'
import type { MethodService } from '../methods/method-service.js'
import type { RegistryService } from '../registry/registry-service.js'
import type { TwinService } from '../twins/twin-service.js'
import type { QueryService } from '../twins/query-service.js'
import { errors } from '../errors.js'

/** What the REST routes use. */
export interface HttpDeps {
  registry: RegistryService
  twins: TwinService
  query: QueryService
  methods: MethodService
  c2d: C2dService
  events: EventStream
  authenticator: Authenticator
  health: () => Record<string, unknown>
  /** Resolves when the store answers (HubStore.ping); what `GET /health` asks before it says ok. */
  pingStore: () => Promise<void>
}

/** A preHandler that checks the api-version and the caller's SAS token for `right`. */
export function guard(deps: HttpDeps, right: PolicyRight) {
  return async (request: FastifyRequest): Promise<void> => {
    checkApiVersion(request)
    await deps.authenticator.authenticateService(request.headers.authorization, right)
  }
}

/** Like {@link guard}, but an edge device's own token is accepted too, for routes under `/devices/{id}/…`. */
export function edgeDeviceGuard(deps: HttpDeps, right: PolicyRight) {
  return async (request: FastifyRequest): Promise<void> => {
    checkApiVersion(request)
    const deviceId = (request.params as { id: string }).id
    await deps.authenticator.authenticateEdgeDeviceOrService(request.headers.authorization, deviceId, right, () => deps.registry.getRecord(deviceId))
  }
}

export function checkApiVersion(request: FastifyRequest): void {
  const v = (request.query as Record<string, string | undefined>)['api-version']
  if (v === undefined || !SUPPORTED_API_VERSIONS.includes(v)) throw errors.invalidProtocolVersion(v, SUPPORTED_API_VERSIONS)
}

export function ifMatch(request: FastifyRequest): string | undefined {
  const h = request.headers['if-match']
  return Array.isArray(h) ? h[0] : h
}
