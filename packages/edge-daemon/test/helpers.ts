/** Helpers for the daemon's integration tests. */
import { request } from 'node:http'
import { rest, type TestHub } from '@ledge/testkit'

export { rest } from '@ledge/testkit'

/** Creates an edge device and returns its primary key. */
export async function createEdgeDevice(th: TestHub, deviceId: string): Promise<string> {
  const r = await rest(th, 'PUT', `/devices/${encodeURIComponent(deviceId)}`, { deviceId, capabilities: { iotEdge: true } })
  if (r.status !== 200) throw new Error(`creating ${deviceId}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.authentication.symmetricKey.primaryKey as string
}

export interface SocketReply {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: any
}

/** One HTTP request over a Unix socket. */
export function unixRequest(socketPath: string, method: string, path: string, body?: unknown): Promise<SocketReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
    const req = request({ socketPath, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = text ? JSON.parse(text) : undefined
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
    })
    req.on('error', reject)
    req.end(data)
  })
}

export { eventually } from '@ledge/testkit'
