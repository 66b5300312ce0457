/**
 * The DPS device API over HTTPS, as `azure-iot-provisioning-device-http` calls it:
 * `PUT /{idScope}/registrations/{registrationId}/register?api-version=…` (body `{registrationId, payload?}`), answered
 * 202 `{operationId, status: "assigning"}` with `retry-after`; then
 * `GET /{idScope}/registrations/{registrationId}/operations/{operationId}` until `status` is `assigned`.
 * Errors use DPS's body `{errorCode, trackingId, message, timestampUtc}`, which the SDK keeps as `err.result`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HTTP_STATUS, isAppError, type Logger } from '@ledge/common'
import type { DpsService } from './dps-service.js'
import { dpsErrorCodeOf } from './errors.js'

interface RegistrationParams { idScope: string; registrationId: string }

export function dpsErrorBody(err: unknown, trackingId: string): { errorCode: number; trackingId: string; message: string; timestampUtc: string } {
  return { errorCode: dpsErrorCodeOf(err), trackingId, message: isAppError(err) ? err.message : 'internal server error', timestampUtc: new Date().toISOString() }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const h = request.headers[name]
  return Array.isArray(h) ? h[0] : h
}

/** Registers the device routes in their own scope: DPS's error body, not IoT Hub's. */
export async function dpsDeviceRoutes(app: FastifyInstance, dps: DpsService, log: Logger): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const status = isAppError(err) ? HTTP_STATUS[err.kind] : (err as { statusCode?: number }).statusCode ?? 500
      if (status >= 500) log.error({ err, event: 'dps.failed', reqId: request.id, url: request.url }, 'provisioning request failed')
      else log.info({ event: 'dps.rejected', reqId: request.id, url: request.url.split('?')[0], status, reason: (err as Error).message }, 'provisioning request rejected')
      void reply.status(status).type('application/json; charset=utf-8').send(dpsErrorBody(err, String(request.id)))
    })

    scope.put<{ Params: RegistrationParams; Body: { registrationId?: string; payload?: unknown } | undefined }>(
      '/:idScope/registrations/:registrationId/register',
      async (request, reply) => {
        const { idScope, registrationId } = request.params
        const body = request.body && typeof request.body === 'object' ? request.body : {}
        const op = await dps.register({ idScope, registrationId, sasToken: header(request, 'authorization'), bodyRegistrationId: body.registrationId, payload: body.payload })
        return reply.status(202).header('retry-after', String(dps.retryAfterSeconds)).send(op)
      },
    )

    scope.get<{ Params: RegistrationParams & { operationId: string } }>(
      '/:idScope/registrations/:registrationId/operations/:operationId',
      async (request, reply) => {
        const { idScope, registrationId, operationId } = request.params
        const op = await dps.operationStatus({ idScope, registrationId, sasToken: header(request, 'authorization') }, operationId)
        if (op.status === 'assigning') return reply.status(202).header('retry-after', String(dps.retryAfterSeconds)).send(op)
        return reply.status(200).send(op)
      },
    )
  })
}
