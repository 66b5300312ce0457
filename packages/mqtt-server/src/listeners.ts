/**
 * The byte streams an MQTT connection runs on: TLS sockets (8883) and WebSocket streams on the HTTPS port
 * (`/$iothub/websocket`, where the SDKs' MQTT-over-WebSockets transports dial), plus the set of live connections
 * that shutdown closes.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Server as NetServer } from 'node:net'
import type { Duplex } from 'node:stream'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import type { WebSocketServer } from 'ws'
import type { Logger } from '@ledge/common'
import type { IotMqttConnection, Remote } from './connection.js'

export const WEBSOCKET_PATH = '/$iothub/websocket'

export type ConnectionFactory = (stream: Duplex, remote: Remote) => IotMqttConnection

/** The live connections of one server. */
export class ConnectionSet {
  private readonly connections = new Set<IotMqttConnection>()

  constructor(private readonly create: ConnectionFactory) {}

  handle(stream: Duplex, remote: Remote): void {
    const conn = this.create(stream, remote)
    this.connections.add(conn)
    stream.once('close', () => this.connections.delete(conn))
  }

  get size(): number {
    return this.connections.size
  }

  /** Closes every connection (shutdown). Persistent sessions stay for the clients to resume. */
  closeAll(reason: string): void {
    for (const c of this.connections) c.close(reason)
    this.connections.clear()
  }
}

/** A TLS server whose sockets become MQTT connections. */
export function createMqttTlsServer(tls: { key: string; cert: string; ca?: string }, connections: ConnectionSet, log: Logger): TlsServer {
  const server = createTlsServer({ key: tls.key, cert: tls.cert, ...(tls.ca ? { ca: tls.ca } : {}), minVersion: 'TLSv1.2' }, (socket) => {
    socket.setNoDelay(true)
    connections.handle(socket, { address: socket.remoteAddress ?? '?', transport: 'mqtts' })
  })
  server.on('tlsClientError', (err) => log.debug({ err, event: 'mqtt.tls_failed' }, 'TLS handshake failed'))
  return server
}

/**
 * Serves MQTT over WebSockets on `WEBSOCKET_PATH` of an HTTP(S) server; other upgrade paths get 404. Returns what
 * terminates the WebSockets at shutdown.
 *
 * `ws` is loaded at the first upgrade, not at start: most clients of an edge hub speak MQTT over TLS, and the module
 * costs an idle process 1.4 MB of private memory (measured importing it into a bare `node`).
 */
export function attachMqttWebSocket(server: HttpServer, connections: ConnectionSet): () => void {
  let loading: Promise<{ wss: WebSocketServer; toStream: (typeof import('ws'))['createWebSocketStream'] }> | undefined
  let loaded: WebSocketServer | undefined
  const webSockets = () =>
    (loading ??= import('ws').then(({ WebSocketServer, createWebSocketStream }) => {
      loaded = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false), maxPayload: 512 * 1024 })
      return { wss: loaded, toStream: createWebSocketStream }
    }))
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== WEBSOCKET_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
      return
    }
    // Until the upgrade is handled nothing reads the socket: bytes the client sends meanwhile wait in its buffer.
    void webSockets().then(
      ({ wss, toStream }) =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          connections.handle(toStream(ws), { address: req.socket.remoteAddress ?? '?', transport: 'wss' })
        }),
      () => socket.destroy(),
    )
  })
  return () => {
    for (const ws of loaded?.clients ?? []) ws.terminate()
  }
}

/** Listens (a TLS, HTTP or HTTPS server) and resolves once bound; rejects on EADDRINUSE and friends. */
export function listen(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
