/**
 * Shared access policies and their keys (Ledge's equivalent of `az iot hub policy list` / `connection-string show
 * --policy-name`, which IoT Hub serves through Azure Resource Manager). Only a policy holding every right may read them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { PolicyRepository } from '@ledge/storage'
import { errors } from '../../errors.js'
import { checkApiVersion, type HttpDeps } from '../context.js'

export function policyRoutes(app: FastifyInstance, deps: HttpDeps, policies: PolicyRepository): void {
  const owner = async (request: FastifyRequest): Promise<void> => {
    checkApiVersion(request)
    const { policy } = await deps.authenticator.authenticateService(request.headers.authorization, 'RegistryWrite')
    const all = ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'] as const
    if (!all.every((r) => policy.rights.includes(r))) throw errors.forbidden(`shared access policy '${policy.keyName}' may not read policy keys: that needs all four rights`)
  }
  app.get('/policies', { preHandler: owner }, async () => policies.list())
  app.get<{ Params: { name: string } }>('/policies/:name', { preHandler: owner }, async (request) => {
    const p = await policies.get(request.params.name)
    if (!p) throw errors.notFound(`shared access policy '${request.params.name}' does not exist`)
    return p
  })
}
