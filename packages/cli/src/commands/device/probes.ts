/**
 * Network probes for `ledge check`: one HTTPS request (for its status, TLS and `Date` header) and a bare TLS handshake
 * (the MQTT port). Both trust what the daemon trusts: `[ledge] hub_ca_cert` plus the system store when the CA is set,
 * else the system store and NODE_EXTRA_CA_CERTS.
 */
import { request } from 'node:https'
import { isIP } from 'node:net'
import { connect, rootCertificates, type TLSSocket } from 'node:tls'

export interface Endpoint {
  host: string
  port: number
}

export interface HttpsProbeResult {
  status: number
  /** The server's `Date` header, if any. */
  date?: string
  /** Local time half-way through the request (epoch ms): what `date` is compared with. */
  localMidpoint: number
  tlsProtocol?: string
}

export interface TlsProbeResult {
  tlsProtocol?: string
  peerSubject?: string
}

const DEFAULT_TIMEOUT_MS = 10_000

function tlsOptions(host: string, caPem: string | undefined): { servername?: string; ca?: string[] } {
  return { ...(isIP(host) ? {} : { servername: host }), ...(caPem ? { ca: [...rootCertificates, caPem] } : {}) }
}

/** `host`, `host:port`, `[v6]:port` → an endpoint. */
export function parseEndpoint(text: string, defaultPort: number): Endpoint {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort }
  const i = text.lastIndexOf(':')
  if (i > 0 && text.indexOf(':') === i && /^\d+$/.test(text.slice(i + 1))) return { host: text.slice(0, i), port: Number(text.slice(i + 1)) }
  return { host: text, port: defaultPort }
}

export function httpsProbe(o: Endpoint & { path: string; headers?: Record<string, string>; caPem?: string; timeoutMs?: number }): Promise<HttpsProbeResult> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return new Promise((resolve, reject) => {
    const sentAt = Date.now()
    const req = request({ host: o.host, port: o.port, method: 'GET', path: o.path, headers: { accept: 'application/json', ...o.headers }, ...tlsOptions(o.host, o.caPem), timeout: timeoutMs, agent: false }, (res) => {
      const receivedAt = Date.now()
      const tlsProtocol = (res.socket as TLSSocket).getProtocol?.() ?? undefined
      res.resume()
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        ...(res.headers.date ? { date: res.headers.date } : {}),
        localMidpoint: Math.round((sentAt + receivedAt) / 2),
        ...(tlsProtocol ? { tlsProtocol } : {}),
      }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })))
    req.on('error', reject)
    req.end()
  })
}

export function tlsProbe(o: Endpoint & { caPem?: string; timeoutMs?: number }): Promise<TlsProbeResult> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return new Promise((resolve, reject) => {
    const socket = connect({ host: o.host, port: o.port, ...tlsOptions(o.host, o.caPem) })
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no TLS handshake within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), timeoutMs)
    socket.once('secureConnect', () => {
      clearTimeout(timer)
      const peer = socket.getPeerCertificate()
      const protocol = socket.getProtocol()
      socket.end()
      resolve({ ...(protocol ? { tlsProtocol: protocol } : {}), ...(peer?.subject?.CN ? { peerSubject: String(peer.subject.CN) } : {}) })
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

/** A connection error as a short reason, with a hint for the usual TLS failures. */
export function describeNetError(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  const code = e.code ?? ''
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
    const hint = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'the certificate does not name this host'
      : code === 'CERT_HAS_EXPIRED' ? 'the certificate has expired' : "the server's certificate is not trusted: set [ledge] hub_ca_cert to its CA"
    return `${e.message} (${code}): ${hint}`
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${e.message}: the host name does not resolve (DNS)`
  if (code === 'ECONNREFUSED') return `${e.message}: nothing listens there`
  return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message
}
