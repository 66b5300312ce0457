/**
 * Edge deployments:
 * - to one device: POST /devices/{id}/applyConfigurationContent (204), as `az iot edge set-modules`;
 * - automatic (target condition): IoT Hub's configurations API, as azure-iothub's Registry calls it:
 *   PUT /configurations/{id} (create; update with If-Match), GET /configurations/{id}, GET /configurations?top=n,
 *   DELETE /configurations/{id}; and Ledge's GET /configurations/{id}/metricDevices?metricId=&metricType=system|user
 *   (the devices a metric counts, for `ledge hub edge deployment show-metric`).
 */
import type { FastifyInstance } from 'fastify'
import type { ConfigurationService } from '../../edge/configuration-service.js'
import type { DeploymentService } from '../../deployments/deployment-service.js'
import { errors } from '../../errors.js'
import { guard, ifMatch, type HttpDeps } from '../context.js'

export function configurationRoutes(app: FastifyInstance, deps: HttpDeps, configurations: ConfigurationService, deployments?: DeploymentService): void {
  app.post<{ Params: { id: string } }>('/devices/:id/applyConfigurationContent', { preHandler: guard(deps, 'RegistryWrite') }, async (request, reply) => {
    await configurations.applyToDevice(request.params.id, request.body)
    return reply.status(204).send()
  })
  if (!deployments) return

  app.put<{ Params: { id: string } }>('/configurations/:id', { preHandler: guard(deps, 'RegistryWrite') }, async (request) => {
    return deployments.put(request.params.id, request.body, ifMatch(request))
  })
  app.get<{ Params: { id: string } }>('/configurations/:id', { preHandler: guard(deps, 'RegistryRead') }, async (request) => {
    return deployments.get(request.params.id)
  })
  app.get<{ Querystring: { top?: string } }>('/configurations', { preHandler: guard(deps, 'RegistryRead') }, async (request) => {
    const raw = request.query.top
    let top: number | undefined
    if (raw !== undefined) {
      top = Number(raw)
      if (!Number.isInteger(top) || top < 1) throw errors.argumentInvalid(`top must be a positive integer, not '${raw}'`)
    }
    return deployments.list(top)
  })
  app.delete<{ Params: { id: string } }>('/configurations/:id', { preHandler: guard(deps, 'RegistryWrite') }, async (request, reply) => {
    await deployments.delete(request.params.id, ifMatch(request))
    return reply.status(204).send()
  })
  app.get<{ Params: { id: string }; Querystring: { metricId?: string; metricType?: string } }>('/configurations/:id/metricDevices', { preHandler: guard(deps, 'RegistryRead') }, async (request) => {
    const { metricId, metricType = 'system' } = request.query
    if (!metricId) throw errors.argumentInvalid('metricId is required')
    if (metricType !== 'system' && metricType !== 'user') throw errors.argumentInvalid(`metricType must be system or user, not '${metricType}'`)
    return deployments.metricDevices(request.params.id, metricId, metricType)
  })
}
