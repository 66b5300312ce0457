/**
 * Direct methods through the edge hub: from the cloud to a connected module or leaf device (followed once the client
 * subscribes to methods), and from one module to another (`ModuleClient.invokeMethod`, which POSTs to the gateway's
 * `/twins/{d}/modules/{m}/methods`). Both wait for the target as IoT Hub does: `connectTimeoutInSeconds` for it to be
 * connected and listening, `responseTimeoutInSeconds` for its answer.
 */
import { AppError, type Logger } from '@ledge/common'
import type { ConnectedClients } from '../broker/clients.js'
import { describeIdentity, identityKey, type ClientIdentity } from '../identity.js'
import type { CloudLink, MethodCall, MethodResult } from '../ports.js'

export interface MethodInvocation extends MethodCall {
  responseTimeoutInSeconds: number
  connectTimeoutInSeconds: number
}

/** IoT Hub's defaults and limits for method timeouts (seconds). */
export const DEFAULT_RESPONSE_TIMEOUT_S = 30
export const MAX_RESPONSE_TIMEOUT_S = 300
/** The cloud has its own timeout; the local call only needs one that is never shorter. */
const CLOUD_CALL_TIMEOUT_S = MAX_RESPONSE_TIMEOUT_S

export class MethodRouter {
  private readonly listened = new Set<string>()

  constructor(private readonly o: { cloud: CloudLink; clients: ConnectedClients; log: Logger; onInvoked?: (target: ClientIdentity, status: number) => void }) {}

  /** Follows the cloud's method calls for `identity` (once per identity). */
  listen(identity: ClientIdentity): void {
    const key = identityKey(identity.deviceId, identity.moduleId)
    if (this.listened.has(key)) return
    this.listened.add(key)
    this.o.cloud.onMethod(identity, async (call) => {
      try {
        return await this.invoke(identity, { ...call, responseTimeoutInSeconds: CLOUD_CALL_TIMEOUT_S, connectTimeoutInSeconds: 0 })
      } catch (err) {
        const status = err instanceof AppError && err.kind === 'timeout' ? 504 : 404
        return { status, payload: Buffer.from(JSON.stringify({ message: (err as Error).message })) }
      }
    })
  }

  async invoke(target: ClientIdentity, call: MethodInvocation): Promise<MethodResult> {
    const conn = await this.o.clients.whenSubscribed(target.deviceId, target.moduleId, 'methods', call.connectTimeoutInSeconds * 1000)
    if (!conn) {
      throw new AppError('ERR_DEVICE_NOT_ONLINE', 'not_found', `${describeIdentity(target)} is not connected to the edge hub or does not listen for direct methods`, {
        details: { errorCode: 404103 },
      })
    }
    try {
      const result = await conn.invokeMethod(call.name, call.payload, call.responseTimeoutInSeconds * 1000)
      this.o.onInvoked?.(target, result.status)
      return result
    } catch (err) {
      if ((err as { timeout?: boolean }).timeout) {
        throw new AppError('ERR_METHOD_TIMEOUT', 'timeout', (err as Error).message, { details: { errorCode: 504101 } })
      }
      throw new AppError('ERR_DEVICE_NOT_ONLINE', 'not_found', (err as Error).message, { details: { errorCode: 404103 } })
    }
  }
}
