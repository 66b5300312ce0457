/** Test helpers for @ledge/pki: temp folders, a real node:tls server and client, and the openssl command line. */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'

export interface TempDir extends AsyncDisposable {
  path: string
  /** Writes `text` to `name` inside the folder and returns the full path. */
  write(name: string, text: string): Promise<string>
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'ledge-pki-'))
  return {
    path,
    async write(name, text) {
      const file = join(path, name)
      await writeFile(file, text)
      return file
    },
    async [Symbol.asyncDispose]() {
      await rm(path, { recursive: true, force: true })
    },
  }
}

export interface TlsServer extends AsyncDisposable {
  port: number
  host: string
  /** What the server saw of each client that completed a handshake. */
  clients: { authorized: boolean; subject: string | undefined }[]
}

/** A TLS server on `host`, port 0, that answers "ok" and closes. */
export async function startTlsServer(options: tls.TlsOptions, host = '127.0.0.1'): Promise<TlsServer> {
  const clients: TlsServer['clients'] = []
  const server = tls.createServer(options, (socket) => {
    const cn = socket.getPeerCertificate()?.subject?.CN
    clients.push({ authorized: socket.authorized, subject: Array.isArray(cn) ? cn.join(',') : cn })
    socket.end('ok')
  })
  server.on('tlsClientError', () => {}) // rejected handshakes are what some tests are about
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    host,
    clients,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export interface HandshakeResult {
  authorized: boolean
  /** The error code Node gave when the handshake was refused (e.g. ERR_TLS_CERT_ALTNAME_INVALID). */
  code?: string
  reply?: string
}

/** Connects with certificate checks on (the default, as mqtt.js forces) and reports how the handshake went. */
export function handshake(server: TlsServer, options: tls.ConnectionOptions): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: server.host, port: server.port, ...options })
    let reply = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => (reply += d))
    socket.on('end', () => resolve({ authorized: socket.authorized, reply }))
    socket.on('error', (err: NodeJS.ErrnoException) => {
      socket.destroy()
      resolve({ authorized: false, code: err.code ?? err.message })
    })
  })
}

export interface CommandResult {
  status: number | null
  stdout: string
  stderr: string
}

export function openssl(...args: string[]): CommandResult {
  const r = spawnSync('openssl', args, { encoding: 'utf8' })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
