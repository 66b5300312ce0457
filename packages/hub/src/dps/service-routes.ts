/**
 * The DPS service API on the hub's REST listener (Azure DPS's paths): individual enrollments
 * (`/enrollments/{registrationId}`), enrollment groups (`/enrollmentGroups/{groupId}`), registration states
 * (`/registrations/{registrationId}`), plus Ledge's `GET /enrollments`, `GET /enrollmentGroups`,
 * `GET /enrollmentGroups/{id}/registrations` and `GET /provisioning` (the id scope). A service token with
 * RegistryRead reads, RegistryWrite writes (DPS's enrollmentRead / enrollmentWrite).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SUPPORTED_API_VERSIONS } from '@ledge/protocol'
import type { PolicyRight } from '@ledge/storage'
import { errors } from '../errors.js'
import type { HttpDeps } from '../http/context.js'
import type { DpsService } from './dps-service.js'

/** DPS service API versions, besides the hub's. */
export const DPS_SERVICE_API_VERSIONS = ['2021-10-01', '2019-03-31'] as const

function dpsGuard(deps: HttpDeps, right: PolicyRight) {
  const versions: readonly string[] = [...SUPPORTED_API_VERSIONS, ...DPS_SERVICE_API_VERSIONS]
  return async (request: FastifyRequest): Promise<void> => {
    const v = (request.query as Record<string, string | undefined>)['api-version']
    if (v === undefined || !versions.includes(v)) throw errors.invalidProtocolVersion(v, versions)
    await deps.authenticator.authenticateService(request.headers.authorization, right)
  }
}

export function dpsServiceRoutes(app: FastifyInstance, deps: HttpDeps, dps: DpsService): void {
  const read = { preHandler: dpsGuard(deps, 'RegistryRead') }
  const write = { preHandler: dpsGuard(deps, 'RegistryWrite') }
  type Id = { Params: { id: string } }

  app.get('/provisioning', read, async () => dps.info())

  app.get('/enrollments', read, async () => dps.listEnrollments())
  app.post('/enrollments/query', read, async () => dps.listEnrollments())
  app.put<Id>('/enrollments/:id', write, async (request) => dps.putEnrollment(request.params.id, request.body))
  app.get<Id>('/enrollments/:id', read, async (request) => dps.getEnrollment(request.params.id))
  app.delete<Id>('/enrollments/:id', write, async (request, reply) => {
    await dps.deleteEnrollment(request.params.id)
    return reply.status(204).send()
  })

  app.get('/enrollmentGroups', read, async () => dps.listEnrollmentGroups())
  app.post('/enrollmentGroups/query', read, async () => dps.listEnrollmentGroups())
  app.put<Id>('/enrollmentGroups/:id', write, async (request) => dps.putEnrollmentGroup(request.params.id, request.body))
  app.get<Id>('/enrollmentGroups/:id', read, async (request) => dps.getEnrollmentGroup(request.params.id))
  app.delete<Id>('/enrollmentGroups/:id', write, async (request, reply) => {
    await dps.deleteEnrollmentGroup(request.params.id)
    return reply.status(204).send()
  })
  app.get<Id>('/enrollmentGroups/:id/registrations', read, async (request) => dps.listGroupRegistrations(request.params.id))

  app.get<Id>('/registrations/:id', read, async (request) => dps.getRegistration(request.params.id))
  app.delete<Id>('/registrations/:id', write, async (request, reply) => {
    await dps.deleteRegistration(request.params.id)
    return reply.status(204).send()
  })
}
