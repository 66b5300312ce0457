/** Direct methods: POST /twins/{d}[/modules/{m}]/methods → `{status, payload}`. */
import type { FastifyInstance } from 'fastify'
import { guard, type HttpDeps } from '../context.js'

export function methodRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const connect = guard(deps, 'ServiceConnect')
  app.post<{ Params: { id: string } }>('/twins/:id/methods', { preHandler: connect }, async (r) => deps.methods.invoke(r.params.id, null, r.body))
  app.post<{ Params: { id: string; mid: string } }>('/twins/:id/modules/:mid/methods', { preHandler: connect }, async (r) =>
    deps.methods.invoke(r.params.id, r.params.mid, r.body))
}
