/**
 * The REST service API (IoT Hub's paths, api-version 2021-04-12) as a fastify app. `buildHttpApp` does not listen:
 * tests can `inject()` it, and the hub composes it with its HTTPS server and the WebSocket upgrade.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Logger } from '@ledge/common'
import { errors } from '../errors.js'
import { makeErrorHandler, errorBody } from './error-handler.js'
import type { HttpDeps } from './context.js'
import { deviceRoutes } from './routes/devices.js'
import { moduleRoutes } from './routes/modules.js'
import { twinRoutes } from './routes/twins.js'
import { methodRoutes } from './routes/methods.js'
import { c2dRoutes } from './routes/c2d.js'
import { eventRoutes } from './routes/events.js'
import { healthRoutes } from './routes/health.js'
import { policyRoutes } from './routes/policies.js'
import { configurationRoutes } from './routes/configurations.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { deviceScopeRoutes } from './routes/device-scope.js'
import type { ConfigurationService } from '../edge/configuration-service.js'
import type { DeploymentService } from '../deployments/deployment-service.js'
import type { PolicyRepository } from '@ledge/storage'
import type { DpsService } from '../dps/dps-service.js'
import { dpsServiceRoutes } from '../dps/service-routes.js'
import { dpsDeviceRoutes } from '../dps/device-routes.js'

/** REST bodies: twins are 32 KB a section, method payloads 128 KB; leave room for the envelope. */
const BODY_LIMIT = 512 * 1024

export async function buildHttpApp(deps: HttpDeps, opts: { log: Logger; policies: PolicyRepository; configurations: ConfigurationService; dps?: DpsService; deployments?: DeploymentService; https?: { key: string; cert: string } }): Promise<FastifyInstance> {
  const options: FastifyServerOptions & { https?: { key: string; cert: string } } = {
    loggerInstance: opts.log.child({ component: 'http' }),
    // One line per request would cost more than the request; rejections and failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    requestIdHeader: 'request-id',
    // The Azure SDK keeps connections alive; a method call may wait up to 300 s plus connect time.
    requestTimeout: 0,
    keepAliveTimeout: 65_000,
  }
  if (opts.https) options.https = opts.https
  const app = Fastify(options as FastifyServerOptions) as unknown as FastifyInstance
  app.setErrorHandler(makeErrorHandler(opts.log))
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).type('application/json; charset=utf-8').send(errorBody(errors.notFound(`no such resource: ${request.method} ${request.url.split('?')[0]}`), String(request.id)))
  })
  deviceRoutes(app, deps)
  moduleRoutes(app, deps)
  deviceScopeRoutes(app, deps)
  twinRoutes(app, deps)
  methodRoutes(app, deps)
  eventRoutes(app, deps)
  healthRoutes(app, deps)
  policyRoutes(app, deps, opts.policies)
  configurationRoutes(app, deps, opts.configurations, opts.deployments)
  dashboardRoutes(app)
  if (opts.dps) {
    dpsServiceRoutes(app, deps, opts.dps)
    await dpsDeviceRoutes(app, opts.dps, opts.log)
  }
  await app.register(async (scope) => c2dRoutes(scope, deps))
  return app
}
