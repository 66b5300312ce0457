/**
 * A stand-in HTTPS server for the client's unit tests: a certificate for `fake-hub.test` only (so the tests prove the
 * client checks the hub's host name, not the address it dials), and a handler per test that records every request.
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCertificateAuthority, issueServerCertificate } from '@ledge/pki'
import { formatServiceConnectionString } from '@ledge/protocol'

export const FAKE_HOST = 'fake-hub.test'
export const FAKE_KEY = Buffer.alloc(32, 9).toString('base64')

export interface SeenRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: string
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void

export interface FakeHub extends AsyncDisposable {
  url: string
  caPem: string
  connectionString: string
  seen: SeenRequest[]
  handle(h: Handler): void
  /** The flags that log the CLI in to this server. */
  flags(): string[]
}

let ca: Promise<{ ca: { certificate: string; privateKey: string }; server: { certificate: string; privateKey: string; chain: string } }> | undefined

function certificates() {
  ca ??= (async () => {
    const root = await createCertificateAuthority({ commonName: 'Fake Hub CA', validityDays: 2 })
    const server = await issueServerCertificate(root, { commonName: FAKE_HOST, dnsNames: [FAKE_HOST], ipAddresses: [], validityDays: 1 })
    return { ca: root, server }
  })()
  return ca
}

export async function startFakeHub(): Promise<FakeHub> {
  const certs = await certificates()
  const seen: SeenRequest[] = []
  let handler: Handler = (_req, res) => {
    res.writeHead(500).end()
  }
  const server: Server = createServer({ key: certs.server.privateKey, cert: certs.server.chain }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: SeenRequest = { method: req.method ?? '', url: new URL(req.url ?? '/', 'https://x'), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      seen.push(r)
      handler(r, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const url = `https://127.0.0.1:${port}`
  const connectionString = formatServiceConnectionString({ hostName: FAKE_HOST, sharedAccessKeyName: 'iothubowner', sharedAccessKey: FAKE_KEY })
  const close = async (): Promise<void> => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    url, caPem: certs.ca.certificate, connectionString, seen,
    handle: (h) => void (handler = h),
    flags: () => ['--login', connectionString, '--hub-url', url],
    [Symbol.asyncDispose]: close,
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body))
}
