/**
 * The workload API's routes (reference: azure-iotedge.md §2, azure-sdk-wire.md §6): what a module calls through
 * `IOTEDGE_WORKLOADURI` to get its TLS trust bundle, SAS signatures (HMAC-SHA256 under ITS key, which only the daemon
 * holds) and certificates. A socket belongs to one module: a request naming another module is refused (403), one
 * with a generation id that is not the module's current one is not found (404), as aziot-edged does.
 */
import { hmacSha256Base64, type CertificateResponse, type SignResponse, type TrustBundleResponse } from '@ledge/protocol'
import { errors } from '../errors.js'
import { Router } from '../http/server-kit.js'
import type { ModuleCredentials } from '../identity/identity-manager.js'

export interface WorkloadDeps {
  identities: { credentials(moduleId: string): Promise<ModuleCredentials> }
  ca: {
    trustBundle(): string
    issueServerCertificate(moduleId: string, commonName: string, expiration?: string): Promise<CertificateResponse>
    issueIdentityCertificate(moduleId: string, expiration?: string): Promise<CertificateResponse>
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * @param owner the module id the socket belongs to; undefined for the shared loopback TCP listener, which cannot tell
 *   callers apart and serves any module (documented as a development aid).
 */
export function workloadRouter(deps: WorkloadDeps, owner: string | undefined): Router {
  const authorize = async (moduleId: string, genId?: string): Promise<ModuleCredentials> => {
    if (owner !== undefined && moduleId !== owner) throw errors.forbidden(`this workload socket belongs to module '${owner}', not '${moduleId}'`)
    const creds = await deps.identities.credentials(moduleId)
    if (genId !== undefined && creds.generationId !== genId) throw errors.notFound(`module '${moduleId}' has no generation '${genId}'`)
    return creds
  }
  const expiration = (body: unknown): string | undefined => {
    if (!isObj(body) || body.expiration === undefined) return undefined
    if (typeof body.expiration !== 'string') throw errors.badRequest('expiration must be an ISO 8601 time')
    return body.expiration
  }

  return new Router()
    .add('GET', '/trust-bundle', async () => ({ json: { certificate: deps.ca.trustBundle() } satisfies TrustBundleResponse }))
    .add('POST', '/modules/:m/genid/:g/sign', async ({ params, body }) => {
      const creds = await authorize(params.m!, params.g!)
      const b = await body()
      if (!isObj(b) || typeof b.data !== 'string' || !BASE64.test(b.data)) throw errors.badRequest('the body must be {"data": "<base64>"}')
      if (!creds.primaryKey) throw errors.badRequest(`module '${params.m}' has no SAS key to sign with`)
      return { json: { digest: hmacSha256Base64(creds.primaryKey, Buffer.from(b.data, 'base64')) } satisfies SignResponse }
    })
    .add('POST', '/modules/:m/genid/:g/certificate/server', async ({ params, body }) => {
      await authorize(params.m!, params.g!)
      const b = await body()
      if (!isObj(b) || typeof b.commonName !== 'string' || b.commonName === '') throw errors.badRequest('the body must be {"commonName": "<host name>"}')
      return { status: 201, json: await deps.ca.issueServerCertificate(params.m!, b.commonName, expiration(b)) }
    })
    .add('POST', '/modules/:m/certificate/identity', async ({ params, body }) => {
      await authorize(params.m!)
      return { status: 201, json: await deps.ca.issueIdentityCertificate(params.m!, expiration(await body())) }
    })
}
