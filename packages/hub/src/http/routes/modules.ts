/** Module identities: PUT/GET/DELETE /devices/{d}/modules/{m}, GET /devices/{d}/modules. */
import type { FastifyInstance } from 'fastify'
import { moduleInput, describeIssues } from '../../registry/identity-input.js'
import { errors } from '../../errors.js'
import { edgeDeviceGuard, ifMatch, type HttpDeps } from '../context.js'

type Params = { id: string; mid: string }

export function moduleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  // An edge device manages its own module identities with its device token (the edge daemon does), as in IoT Hub.
  const read = edgeDeviceGuard(deps, 'RegistryRead')
  const write = edgeDeviceGuard(deps, 'RegistryWrite')

  app.get<{ Params: { id: string } }>('/devices/:id/modules', { preHandler: read }, async (request) => deps.registry.listModules(request.params.id))

  app.get<{ Params: Params }>('/devices/:id/modules/:mid', { preHandler: read }, async (request) =>
    deps.registry.getModule(request.params.id, request.params.mid))

  // IoT Hub answers 200 with the module whether the PUT created or updated it.
  app.put<{ Params: Params }>('/devices/:id/modules/:mid', { preHandler: write }, async (request) => {
    const parsed = moduleInput.safeParse(request.body ?? {})
    if (!parsed.success) throw errors.argumentInvalid(`invalid module: ${describeIssues(parsed.error)}`)
    return (await deps.registry.createOrUpdateModule(request.params.id, request.params.mid, parsed.data, ifMatch(request))).module
  })

  app.delete<{ Params: Params }>('/devices/:id/modules/:mid', { preHandler: write }, async (request, reply) => {
    await deps.registry.deleteModule(request.params.id, request.params.mid, ifMatch(request))
    return reply.status(204).send()
  })
}
