/** Device identities: PUT/GET/DELETE /devices/{id}, GET /devices, GET /statistics/devices. */
import type { FastifyInstance } from 'fastify'
import { deviceInput, describeIssues } from '../../registry/identity-input.js'
import { errors } from '../../errors.js'
import { guard, ifMatch, type HttpDeps } from '../context.js'

type IdParams = { id: string }

export function deviceRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const read = guard(deps, 'RegistryRead')
  const write = guard(deps, 'RegistryWrite')

  app.get('/devices', { preHandler: read }, async (request) => {
    const q = request.query as { top?: string; $top?: string; after?: string }
    const top = Number(q.top ?? q.$top ?? 1000)
    if (!Number.isInteger(top) || top < 1) throw errors.argumentInvalid('top must be a positive integer')
    return deps.registry.listDevices({ top, ...(q.after ? { after: q.after } : {}) })
  })

  app.get<{ Params: IdParams }>('/devices/:id', { preHandler: read }, async (request) => deps.registry.getDevice(request.params.id))

  app.put<{ Params: IdParams }>('/devices/:id', { preHandler: write }, async (request) => {
    const parsed = deviceInput.safeParse(request.body ?? {})
    if (!parsed.success) throw errors.argumentInvalid(`invalid device: ${describeIssues(parsed.error)}`)
    const match = ifMatch(request)
    // Without If-Match a PUT creates (409 if the device exists); with it, it updates (as IoT Hub).
    if (match === undefined) return deps.registry.createDevice(request.params.id, parsed.data)
    return deps.registry.updateDevice(request.params.id, parsed.data, match)
  })

  app.delete<{ Params: IdParams }>('/devices/:id', { preHandler: write }, async (request, reply) => {
    await deps.registry.deleteDevice(request.params.id, ifMatch(request))
    return reply.status(204).send()
  })

  app.get('/statistics/devices', { preHandler: read }, async () => deps.registry.statistics())
}
