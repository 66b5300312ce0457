/** Deployments to one edge device: POST /devices/{id}/applyConfigurationContent (204), as `az iot edge set-modules`. */
import type { FastifyInstance } from 'fastify'
import type { ConfigurationService } from '../../edge/configuration-service.js'
import { guard, type HttpDeps } from '../context.js'

export function configurationRoutes(app: FastifyInstance, deps: HttpDeps, configurations: ConfigurationService): void {
  app.post<{ Params: { id: string } }>('/devices/:id/applyConfigurationContent', { preHandler: guard(deps, 'RegistryWrite') }, async (request, reply) => {
    await configurations.applyToDevice(request.params.id, request.body)
    return reply.status(204).send()
  })
}
