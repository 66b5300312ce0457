/** GET /health: unauthenticated liveness and a few figures, for load balancers and `ledge check`. */
import type { FastifyInstance } from 'fastify'
import type { HttpDeps } from '../context.js'

export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/health', async () => ({ status: 'ok', ...deps.health() }))
}
