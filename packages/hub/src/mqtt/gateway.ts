/**
 * The MQTT protocol head: accepts byte streams (TLS sockets on 8883, WebSocket streams on `/$iothub/websocket`)
 * and runs an {@link MqttConnection} on each.
 */
import type { Duplex } from 'node:stream'
import type { GatewayDeps } from './gateway-deps.js'
import { MqttConnection } from './connection.js'

export class MqttGateway {
  private readonly connections = new Set<MqttConnection>()

  constructor(private readonly deps: GatewayDeps) {}

  handle(stream: Duplex, remote: { address: string; transport: 'mqtts' | 'wss' }): void {
    const conn = new MqttConnection(stream, this.deps, remote)
    this.connections.add(conn)
    stream.once('close', () => this.connections.delete(conn))
  }

  get connectionCount(): number {
    return this.connections.size
  }

  /** Closes every connection (shutdown). Clients reconnect elsewhere or later; their sessions are theirs to resume. */
  closeAll(reason: string): void {
    for (const c of this.connections) c.close(reason)
    this.connections.clear()
  }
}
