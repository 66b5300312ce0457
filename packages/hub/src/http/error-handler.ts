/**
 * Errors in IoT Hub's REST shape: `{"Message":"ErrorCode:<Code>;<text>","ExceptionMessage":"…"}` with the matching
 * HTTP status, which the Azure service SDK turns into its error classes (DeviceNotFoundError, …).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, HTTP_STATUS, isAppError, type Logger } from '@ledge/common'
import { errorCodeOf, errors } from '../errors.js'

export function errorBody(err: AppError, trackingId: string): Record<string, unknown> {
  const code = errorCodeOf(err)
  return {
    // The Azure SDK splits Message on ';' and keeps only the second part: no ';' may appear in the text.
    Message: `ErrorCode:${code};${err.message.replace(/;/g, ',')}`,
    ExceptionMessage: `Tracking ID:${trackingId}-TimeStamp:${new Date().toISOString()}`,
    ErrorCode: code,
  }
}

/** Maps fastify's own errors (bad JSON, body too large, unsupported media type) to the hub's. */
function fromFastify(err: FastifyError): AppError {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.malformedJson(err.message)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('ERR_REQUEST_TOO_LARGE', 'too_large', 'the request body is larger than the hub accepts', { details: { errorCode: 'RequestEntityTooLarge' } })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.argumentInvalid(`unsupported content type: ${err.message}`)
  }
  if (err instanceof SyntaxError) return errors.malformedJson(err.message)
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return errors.argumentInvalid(err.message)
  return new AppError('ERR_INTERNAL', 'internal', 'internal server error', { cause: err })
}

export function makeErrorHandler(log: Logger) {
  return (err: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply): void => {
    const app = isAppError(err) ? err : fromFastify(err)
    const status = HTTP_STATUS[app.kind]
    if (status >= 500) log.error({ err, event: 'http.failed', reqId: request.id, url: request.url }, 'request failed')
    else log.info({ event: 'http.rejected', reqId: request.id, method: request.method, url: request.url, status, reason: app.message }, 'request rejected')
    void reply.status(status).type('application/json; charset=utf-8').send(errorBody(app, String(request.id)))
  }
}
