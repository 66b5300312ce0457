/** The demo's window on the hub: its REST API as iothubowner, over HTTPS with the hub's own CA. */
import { request } from 'node:https'
import { createServiceSasToken, parseServiceConnectionString, type HubInfoFile } from '@ledge/protocol'

export interface HubClient {
  get(path: string): Promise<any>
  send(method: string, path: string, body: unknown): Promise<{ status: number; body: any }>
}

export function hubClient(info: HubInfoFile, caPem: string): HubClient {
  const cs = parseServiceConnectionString(info.serviceConnectionString)
  const token = (): string => createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 3600 })
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
      const sep = path.includes('?') ? '&' : '?'
      const req = request({
        host: '127.0.0.1', servername: info.hostName, port: info.httpsPort, method, path: `${path}${sep}api-version=2021-04-12`, ca: caPem,
        headers: { authorization: token(), ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) },
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown = text
          try {
            parsed = text ? JSON.parse(text) : undefined
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
      })
      req.on('error', reject)
      req.end(data)
    })
  return {
    async get(path) {
      const r = await call('GET', path)
      if (r.status >= 400) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body
    },
    send: call,
  }
}
