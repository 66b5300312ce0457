/**
 * `POST /twins/{deviceId}[/modules/{moduleId}]/methods`: what `ModuleClient.invokeMethod` calls on its gateway
 * (azure-iot-device's MethodClient: the caller in `x-ms-edge-moduleId`, its SAS token in `Authorization`, the body
 * `{ methodName, payload, responseTimeoutInSeconds, connectTimeoutInSeconds }`). The answer is IoT Hub's:
 * `{ status, payload }`, or an error body the SDK understands.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AppError, HTTP_STATUS, isAppError, type Logger } from '@ledge/common'
import { describeIdentity, type ClientIdentity } from '../identity.js'
import type { ClientAuthenticator } from '../ports.js'
import { DEFAULT_RESPONSE_TIMEOUT_S, MAX_RESPONSE_TIMEOUT_S, type MethodRouter } from '../methods/method-router.js'

const PATH = /^\/twins\/([^/]+)(?:\/modules\/([^/]+))?\/methods\/?$/
const MAX_BODY_BYTES = 256 * 1024

export interface MethodEndpointDeps {
  auth: ClientAuthenticator
  methods: MethodRouter
  edgeDeviceId: string
  log: Logger
  onInvoked?: (caller: string, target: ClientIdentity) => void
}

/** Handles the request if it is a method call; false if the path is not this endpoint's. */
export function handleMethodRequest(deps: MethodEndpointDeps, req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '').split('?')[0] ?? ''
  const m = PATH.exec(path)
  if (!m) return false
  void invoke(deps, req, res, { deviceId: decodeURIComponent(m[1]!), ...(m[2] ? { moduleId: decodeURIComponent(m[2]) } : {}) }).catch((err: unknown) => {
    const appErr = isAppError(err) ? err : new AppError('ERR_INTERNAL', 'internal', 'internal error')
    if (!isAppError(err)) deps.log.error({ err, event: 'method.http_failed' }, 'method call failed')
    send(res, HTTP_STATUS[appErr.kind], errorBody(appErr))
  })
  return true
}

async function invoke(deps: MethodEndpointDeps, req: IncomingMessage, res: ServerResponse, target: ClientIdentity): Promise<void> {
  if (req.method !== 'POST') throw new AppError('ERR_METHOD_NOT_ALLOWED', 'invalid', `${req.method} is not allowed here: use POST`)
  const caller = String(req.headers['x-ms-edge-moduleid'] ?? '')
  const [callerDevice, callerModule] = caller.split('/')
  if (!callerDevice || !callerModule) throw new AppError('ERR_UNAUTHORIZED', 'unauthorized', "the header 'x-ms-edge-moduleId' must name the calling module as '{deviceId}/{moduleId}'")
  if (callerDevice !== deps.edgeDeviceId) throw new AppError('ERR_FORBIDDEN', 'forbidden', `only modules of edge device '${deps.edgeDeviceId}' may invoke methods through its edge hub`)
  const auth = await deps.auth.authenticate({ deviceId: callerDevice, moduleId: callerModule }, req.headers.authorization)
  if (!auth.ok) throw new AppError('ERR_UNAUTHORIZED', 'unauthorized', auth.reason)
  const body = await readJson(req)
  const name = body.methodName
  if (typeof name !== 'string' || name.length === 0) throw new AppError('ERR_ARGUMENT_INVALID', 'invalid', "'methodName' must be a non-empty string")
  const responseTimeout = timeout(body.responseTimeoutInSeconds, DEFAULT_RESPONSE_TIMEOUT_S, 'responseTimeoutInSeconds')
  const connectTimeout = timeout(body.connectTimeoutInSeconds, 0, 'connectTimeoutInSeconds')
  deps.onInvoked?.(caller, target)
  deps.log.debug({ event: 'method.invoke', caller, target: describeIdentity(target), method: name }, 'module-to-module method call')
  const result = await deps.methods.invoke(target, {
    name,
    payload: Buffer.from(JSON.stringify(body.payload ?? null)),
    responseTimeoutInSeconds: responseTimeout,
    connectTimeoutInSeconds: connectTimeout,
  })
  let payload: unknown = null
  const text = result.payload.toString('utf8')
  try {
    payload = text.length > 0 ? JSON.parse(text) : null
  } catch {
    payload = text
  }
  send(res, 200, { status: result.status, payload })
}

function timeout(value: unknown, fallback: number, name: string): number {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_RESPONSE_TIMEOUT_S) {
    throw new AppError('ERR_ARGUMENT_INVALID', 'invalid', `'${name}' must be a number of seconds between 0 and ${MAX_RESPONSE_TIMEOUT_S}`)
  }
  return value
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new AppError('ERR_TOO_LARGE', 'too_large', `the request body is larger than ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>
  } catch {
    /* reported below */
  }
  throw new AppError('ERR_ARGUMENT_INVALID', 'invalid', 'the request body must be a JSON object')
}

function errorBody(err: AppError): Record<string, unknown> {
  const code = (err.details?.errorCode as number | undefined) ?? HTTP_STATUS[err.kind] * 1000
  // The Azure SDK splits Message on ';' and keeps only the second part: no ';' may appear in the text.
  return { Message: `ErrorCode:${code};${err.message.replace(/;/g, ',')}`, ExceptionMessage: `TimeStamp:${new Date().toISOString()}`, ErrorCode: code }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
