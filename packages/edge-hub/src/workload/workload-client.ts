/**
 * The edge hub's client of the daemon's workload API (`IOTEDGE_WORKLOADURI`, reference azure-iotedge.md §2): SAS
 * signatures for its own identity (it never sees its key), its TLS server certificate, and the trust bundle.
 */
import { request } from 'node:http'
import { identityResourceUri, type CertificateResponse, type SignResponse, type TrustBundleResponse } from '@ledge/protocol'

const API_VERSION = '2019-01-30'

export class WorkloadClient {
  private readonly target: { socketPath?: string; host?: string; port?: number }

  constructor(readonly uri: string, private readonly moduleId: string, private readonly generationId: string) {
    const u = new URL(uri)
    if (u.protocol === 'unix:') this.target = { socketPath: decodeURIComponent(u.pathname) }
    else if (u.protocol === 'http:') this.target = { host: u.hostname, port: Number(u.port || 80) }
    else throw new Error(`unsupported workload URI '${uri}': expected unix:///path/to/workload.sock or http://host:port`)
  }

  /** A SAS token for this module's identity, valid for `ttlSeconds`. */
  async sasToken(hubHostname: string, deviceId: string, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    const sr = encodeURIComponent(identityResourceUri(hubHostname, deviceId, this.moduleId))
    const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds
    const r = await this.call<SignResponse>('POST', `/modules/${encodeURIComponent(this.moduleId)}/genid/${encodeURIComponent(this.generationId)}/sign`, {
      keyId: 'primary', algo: 'HMACSHA256', data: Buffer.from(`${sr}\n${expiresAt}`).toString('base64'),
    })
    return { token: `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(r.digest)}&se=${expiresAt}`, expiresAt }
  }

  serverCertificate(commonName: string): Promise<CertificateResponse> {
    return this.call<CertificateResponse>('POST', `/modules/${encodeURIComponent(this.moduleId)}/genid/${encodeURIComponent(this.generationId)}/certificate/server`, { commonName })
  }

  async trustBundle(): Promise<string> {
    return (await this.call<TrustBundleResponse>('GET', '/trust-bundle')).certificate
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...this.target,
          ...(this.target.socketPath ? { host: 'localhost' } : {}),
          method,
          path: `${path}?api-version=${API_VERSION}`,
          headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            if ((res.statusCode ?? 0) >= 400) return reject(new Error(`workload API ${method} ${path}: ${res.statusCode} ${text}`))
            try {
              resolve(JSON.parse(text) as T)
            } catch {
              reject(new Error(`workload API ${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`))
            }
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error('the workload API did not answer within 30 s')))
      req.on('error', (err) => reject(new Error(`the workload API at ${this.uri} cannot be reached: ${err.message}`)))
      req.end(payload)
    })
  }
}
