/** Twins: GET/PATCH/PUT /twins/{d}[/modules/{m}], and the twin query POST /devices/query. */
import type { FastifyInstance } from 'fastify'
import { errors } from '../../errors.js'
import { guard, ifMatch, type HttpDeps } from '../context.js'

type DeviceParams = { id: string }
type ModuleParams = { id: string; mid: string }

export function twinRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const read = guard(deps, 'RegistryRead')
  const write = guard(deps, 'ServiceConnect')

  app.get<{ Params: DeviceParams }>('/twins/:id', { preHandler: read }, async (r) => deps.twins.get(r.params.id, null))
  app.get<{ Params: ModuleParams }>('/twins/:id/modules/:mid', { preHandler: read }, async (r) => deps.twins.get(r.params.id, r.params.mid))
  app.patch<{ Params: DeviceParams }>('/twins/:id', { preHandler: write }, async (r) => deps.twins.patch(r.params.id, null, r.body, ifMatch(r)))
  app.patch<{ Params: ModuleParams }>('/twins/:id/modules/:mid', { preHandler: write }, async (r) => deps.twins.patch(r.params.id, r.params.mid, r.body, ifMatch(r)))
  app.put<{ Params: DeviceParams }>('/twins/:id', { preHandler: write }, async (r) => deps.twins.replace(r.params.id, null, r.body, ifMatch(r)))
  app.put<{ Params: ModuleParams }>('/twins/:id/modules/:mid', { preHandler: write }, async (r) => deps.twins.replace(r.params.id, r.params.mid, r.body, ifMatch(r)))

  app.post('/devices/query', { preHandler: read }, async (request, reply) => {
    const body = request.body as { query?: unknown } | undefined
    if (!body || typeof body.query !== 'string') throw errors.argumentInvalid('the body must be {"query": "SELECT … FROM devices …"}')
    const maxHeader = request.headers['x-ms-max-item-count']
    const max = maxHeader === undefined ? 100 : Number(maxHeader)
    if (!Number.isInteger(max) || max < 1) throw errors.argumentInvalid('x-ms-max-item-count must be a positive integer')
    const continuation = request.headers['x-ms-continuation']
    const page = await deps.query.run(body.query, { pageSize: Math.min(max, 1000), ...(typeof continuation === 'string' && continuation ? { continuation } : {}) })
    // No x-ms-continuation header tells the SDK there are no more pages.
    if (page.continuation) void reply.header('x-ms-continuation', page.continuation)
    void reply.header('x-ms-item-type', page.itemType)
    return page.items
  })
}
