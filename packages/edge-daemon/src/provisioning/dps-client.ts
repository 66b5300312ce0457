/**
 * One registration with the device provisioning service through the unmodified Azure provisioning SDK
 * (`azure-iot-provisioning-device` + its HTTPS transport + `azure-iot-security-symmetric-key`), as aziot-identityd
 * does it: `PUT /{idScope}/registrations/{registrationId}/register`, then polls the operation until "assigned".
 *
 * The SDK dials `https://<host>` on port 443 and trusts the system store. Two things it allows without changes make it
 * work with any Ledge hub: its `httpBase` constructor argument, set up with the hub's CA (`[ledge] hub_ca_cert`), and
 * an HTTPS agent that dials the endpoint's port when `global_endpoint` names one.
 */
import { createRequire } from 'node:module'
import { Agent, type AgentOptions } from 'node:https'
import type { Duplex } from 'node:stream'
import { rootCertificates } from 'node:tls'
import { isAppError } from '@ledge/common'
import { errors } from '../errors.js'

const require = createRequire(import.meta.url)

export interface DpsRegistrationRequest {
  /** `host` or `host:port`. */
  endpoint: string
  idScope: string
  registrationId: string
  /** base64 symmetric key (the enrollment's, or derived from the group key). */
  key: string
  payload?: unknown
  caPem?: string
  timeoutMs?: number
}

export interface DpsAssignment {
  iothubHostname: string
  deviceId: string
  /** DPS's substatus: initialAssignment, deviceDataMigrated, deviceDataReset. */
  substatus?: string
}

export const DEFAULT_DPS_TIMEOUT_MS = 60_000

/** Sends every request to `port` whatever the SDK asks for (it always means 443). */
class FixedPortAgent extends Agent {
  constructor(private readonly port: number, o: AgentOptions) {
    super(o)
  }

  override createConnection(options: Record<string, unknown>, cb?: (err: Error | null, s: Duplex) => void): Duplex {
    // createConnection exists on https.Agent at run time; @types/node declares it on http.Agent only.
    return (Agent.prototype as unknown as { createConnection: (o: unknown, cb?: unknown) => Duplex }).createConnection.call(this, { ...options, port: this.port }, cb)
  }
}

function splitEndpoint(endpoint: string): { host: string; port: number } {
  const u = new URL(`https://${endpoint}`)
  return { host: u.hostname, port: u.port ? Number(u.port) : 443 }
}

/**
 * Registers; resolves with the hub and device DPS assigned. Rejects with ERR_EDGE_DPS_REFUSED when DPS answered
 * with a 4xx (wrong key, unknown or disabled enrollment: asking again will not help), ERR_EDGE_DPS_UNREACHABLE otherwise.
 */
export async function registerWithDps(r: DpsRegistrationRequest): Promise<DpsAssignment> {
  const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device') as typeof import('azure-iot-provisioning-device')
  const { Http } = require('azure-iot-provisioning-device-http') as typeof import('azure-iot-provisioning-device-http')
  const { Http: HttpBase } = require('azure-iot-http-base') as typeof import('azure-iot-http-base')
  const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key') as typeof import('azure-iot-security-symmetric-key')

  const { host, port } = splitEndpoint(r.endpoint)
  const ca = r.caPem ? [...rootCertificates, r.caPem] : undefined
  const agent = port !== 443 ? new FixedPortAgent(port, { keepAlive: false, ...(ca ? { ca } : {}) }) : undefined
  const base = new HttpBase()
  base.setOptions({ ...(ca ? { ca: ca.join('\n') } : {}), ...(agent ? { http: { agent } } : {}) } as never)
  const client = ProvisioningDeviceClient.create(host, r.idScope, new Http(base as never), new SymmetricKeySecurityClient(r.registrationId, r.key) as never)
  if (r.payload !== undefined) client.setProvisioningPayload(r.payload as never)

  const what = `registering '${r.registrationId}' with DPS at ${r.endpoint} (id scope ${r.idScope})`
  const timeoutMs = r.timeoutMs ?? DEFAULT_DPS_TIMEOUT_MS
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      client.cancel(() => undefined)
      reject(errors.dpsUnreachable(what, new Error(`no answer within ${timeoutMs / 1000} s`)))
    }, timeoutMs)
  })
  try {
    const result = (await Promise.race([client.register(), timeout])) as { assignedHub?: string; deviceId?: string; status?: string; substatus?: string }
    if (!result.assignedHub || !result.deviceId) throw errors.dpsRefused(what, `DPS answered status '${result.status ?? '?'}' without a hub and device`)
    return { iothubHostname: result.assignedHub, deviceId: result.deviceId, ...(result.substatus ? { substatus: result.substatus } : {}) }
  } catch (err) {
    throw classify(what, err)
  } finally {
    clearTimeout(timer)
    agent?.destroy()
  }
}

interface SdkError extends Error {
  response?: { statusCode?: number }
  responseBody?: string
}

function classify(what: string, err: unknown): Error {
  if (isAppError(err) && err.code.startsWith('ERR_EDGE_DPS')) return err
  const e = err as SdkError
  const status = e.response?.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    let message = e.message
    try {
      message = (JSON.parse(e.responseBody ?? '') as { message?: string }).message ?? message
    } catch {
      // not DPS's JSON error body: keep the SDK's message
    }
    return errors.dpsRefused(what, `DPS answered ${status}: ${message}`)
  }
  return errors.dpsUnreachable(what, e)
}
