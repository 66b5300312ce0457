/**
 * Cloud-to-device messages over REST (the Azure service SDK sends them over AMQP, which comes later):
 * POST /devices/{id}/messages/deviceBound with the body as is and IoT Hub's HTTP property headers
 * (`iothub-messageid`, `iothub-correlationid`, `iothub-userid`, `iothub-expiry`, `iothub-ack`, `iothub-app-<name>`),
 * and DELETE /devices/{id}/commands to purge a device's queue.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MAX_C2D_MESSAGE_BYTES } from '@ledge/protocol'
import { errors } from '../../errors.js'
import type { C2dSendInput } from '../../c2d/c2d-service.js'
import { guard, type HttpDeps } from '../context.js'

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v[0] : v
}

export function c2dInputFromRequest(request: FastifyRequest, body: Buffer): C2dSendInput {
  const input: C2dSendInput = { body, properties: {} }
  const set = (k: 'messageId' | 'correlationId' | 'userId' | 'contentType' | 'contentEncoding' | 'ack', h: string): void => {
    const v = header(request, h)
    if (v !== undefined && v !== '') input[k] = v
  }
  set('messageId', 'iothub-messageid')
  set('correlationId', 'iothub-correlationid')
  set('userId', 'iothub-userid')
  set('ack', 'iothub-ack')
  set('contentType', 'content-type')
  set('contentEncoding', 'content-encoding')
  const expiry = header(request, 'iothub-expiry')
  if (expiry !== undefined) {
    const t = Date.parse(expiry)
    if (Number.isNaN(t)) throw errors.argumentInvalid(`iothub-expiry '${expiry}' is not an ISO 8601 time`)
    input.expiryTime = t
  }
  for (const [k, v] of Object.entries(request.headers)) {
    if (k.startsWith('iothub-app-') && typeof v === 'string') input.properties![k.slice('iothub-app-'.length)] = v
  }
  return input
}

export async function c2dRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const connect = guard(deps, 'ServiceConnect')
  // The message body is taken as it is, whatever its content type.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_C2D_MESSAGE_BYTES + 1 }, (_req, body, done) => done(null, body))

  app.post<{ Params: { id: string } }>('/devices/:id/messages/deviceBound', { preHandler: connect, bodyLimit: MAX_C2D_MESSAGE_BYTES + 1 }, async (request) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    return deps.c2d.send(request.params.id, c2dInputFromRequest(request, body))
  })

  app.delete<{ Params: { id: string } }>('/devices/:id/commands', { preHandler: connect }, async (request) => {
    await deps.registry.getDevice(request.params.id)
    const n = await deps.c2d.purge(request.params.id)
    return { deviceId: request.params.id, totalMessagesPurged: n }
  })
}
