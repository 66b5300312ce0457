/**
 * GET /health: unauthenticated liveness and a few figures, for load balancers and `ledge check`. 503 while the store
 * does not answer (a PostgreSQL server down or unreachable), so that a load balancer sends devices and services to
 * another hub meanwhile.
 */
import type { FastifyInstance } from 'fastify'
import type { HttpDeps } from '../context.js'

export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/health', async (_request, reply) => {
    try {
      await deps.pingStore()
      return { status: 'ok', store: 'ok', ...deps.health() }
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', store: (err as Error).message, ...deps.health() })
    }
  })
}
