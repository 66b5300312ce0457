/**
 * Direct methods: a service call becomes `$iothub/methods/POST/{name}/?$rid=…` to the device, and the device's
 * `$iothub/methods/res/{status}/?$rid=…` completes it, or the response timeout does.
 */
import {
  DEFAULT_METHOD_TIMEOUT_S, MAX_METHOD_PAYLOAD_BYTES, MAX_METHOD_TIMEOUT_S, MIN_METHOD_TIMEOUT_S,
} from '@ledge/protocol'
import type { Logger } from '@ledge/common'
import { errors } from '../errors.js'
import type { DeviceLinks } from '../links/device-links.js'

export interface MethodInvocation {
  methodName: string
  payload?: unknown
  responseTimeoutInSeconds?: number
  connectTimeoutInSeconds?: number
}

export interface MethodResult {
  status: number
  payload: unknown
}

interface Pending {
  resolve(r: MethodResult): void
  timer: ReturnType<typeof setTimeout>
  deviceId: string
  moduleId: string | null
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export class MethodService {
  private readonly pending = new Map<string, Pending>()
  private nextRid = 1

  constructor(private readonly d: { links: DeviceLinks; log: Logger; identityExists: (d: string, m: string | null) => Promise<boolean> }) {}

  /** Validates the body of `POST /twins/{id}[/modules/{m}]/methods`. */
  parseInvocation(body: unknown): Required<Omit<MethodInvocation, 'payload'>> & { payload: unknown } {
    if (!isObject(body)) throw errors.argumentInvalid('the method invocation must be a JSON object with methodName')
    const { methodName, payload, responseTimeoutInSeconds, connectTimeoutInSeconds } = body
    if (typeof methodName !== 'string' || methodName.length === 0) throw errors.argumentInvalid('methodName must be a non-empty string')
    if (methodName.length > 100 || /[/?#\s]/.test(methodName)) throw errors.argumentInvalid(`methodName '${methodName}' must be at most 100 characters without '/', '?', '#' or spaces`)
    const response = responseTimeoutInSeconds ?? DEFAULT_METHOD_TIMEOUT_S
    const connect = connectTimeoutInSeconds ?? 0
    if (typeof response !== 'number' || !Number.isInteger(response) || response < MIN_METHOD_TIMEOUT_S || response > MAX_METHOD_TIMEOUT_S) {
      throw errors.argumentInvalid(`responseTimeoutInSeconds must be an integer from ${MIN_METHOD_TIMEOUT_S} to ${MAX_METHOD_TIMEOUT_S}`)
    }
    if (typeof connect !== 'number' || !Number.isInteger(connect) || connect < 0 || connect > MAX_METHOD_TIMEOUT_S) {
      throw errors.argumentInvalid(`connectTimeoutInSeconds must be an integer from 0 to ${MAX_METHOD_TIMEOUT_S}`)
    }
    return { methodName, payload: payload ?? null, responseTimeoutInSeconds: response, connectTimeoutInSeconds: connect }
  }

  async invoke(deviceId: string, moduleId: string | null, body: unknown): Promise<MethodResult> {
    const inv = this.parseInvocation(body)
    const target = moduleId ? `module '${deviceId}/${moduleId}'` : `device '${deviceId}'`
    const payload = Buffer.from(JSON.stringify(inv.payload))
    if (payload.length > MAX_METHOD_PAYLOAD_BYTES) throw errors.messageTooLarge('the method payload', payload.length, MAX_METHOD_PAYLOAD_BYTES)
    if (!(await this.d.identityExists(deviceId, moduleId))) throw moduleId ? errors.moduleNotFound(deviceId, moduleId) : errors.deviceNotFound(deviceId)
    const ready = await this.d.links.waitForMethods(deviceId, moduleId, inv.connectTimeoutInSeconds * 1000)
    const link = this.d.links.get(deviceId, moduleId)
    if (!ready || !link) throw errors.deviceNotOnline(target)
    const rid = (this.nextRid++).toString(16)
    return new Promise<MethodResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid)
        reject(errors.gatewayTimeout(target, inv.responseTimeoutInSeconds))
      }, inv.responseTimeoutInSeconds * 1000)
      this.pending.set(rid, { resolve, timer, deviceId, moduleId })
      if (!link.sendMethodRequest(inv.methodName, rid, payload)) {
        clearTimeout(timer)
        this.pending.delete(rid)
        reject(errors.deviceNotOnline(target))
      }
    })
  }

  /** A device's response. Responses for unknown or timed-out requests, or from another identity, are ignored. */
  respond(deviceId: string, moduleId: string | null, rid: string, status: number, payload: Buffer): boolean {
    const p = this.pending.get(rid)
    if (!p || p.deviceId !== deviceId || p.moduleId !== moduleId) return false
    this.pending.delete(rid)
    clearTimeout(p.timer)
    let parsed: unknown = null
    if (payload.length > 0) {
      const text = payload.toString('utf8')
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = text
      }
    }
    p.resolve({ status, payload: parsed })
    return true
  }

  close(): void {
    for (const [rid, p] of this.pending) {
      clearTimeout(p.timer)
      p.resolve({ status: 503, payload: { message: 'the hub is shutting down' } })
      this.pending.delete(rid)
    }
  }
}
