/**
 * The DPS device API over MQTT, as `azure-iot-provisioning-device-mqtt` speaks it on the hub's MQTT listener. The
 * connection is told apart from an IoT Hub one by its CONNECT username, `{idScope}/registrations/{registrationId}/
 * api-version=…&ClientVersion=…` (client id = registration id, password = the `registration` SAS token). Then:
 * - SUBSCRIBE `$dps/registrations/res/#`;
 * - PUBLISH `$dps/registrations/PUT/iotdps-register/?$rid={rid}` with `{registrationId, payload?}`;
 * - PUBLISH `$dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={id}`;
 * - answers on `$dps/registrations/res/{status}/?$rid={rid}[&retry-after={s}]`, the body as over HTTPS.
 */
import type { IConnectPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet'
import { HTTP_STATUS, isAppError } from '@ledge/common'
import { parseSasToken } from '@ledge/protocol'
import type { ClientPacket, IotMqttConnection } from '@ledge/mqtt-server'
import type { DpsService } from './dps-service.js'
import { dpsErrorBody } from './device-routes.js'

const USERNAME = /^([^/]+)\/registrations\/([^/]+)\/(?:\?)?api-version=[^&]*(?:&.*)?$/
const REGISTER_TOPIC = '$dps/registrations/PUT/iotdps-register/'
const STATUS_TOPIC = '$dps/registrations/GET/iotdps-get-operationstatus/'
export const DPS_RESPONSE_FILTER = '$dps/registrations/res/#'

/** The id scope and registration id of a DPS CONNECT username, or undefined for any other username. */
export function parseDpsUsername(username: string | undefined): { idScope: string; registrationId: string } | undefined {
  const m = username ? USERNAME.exec(username) : null
  return m ? { idScope: m[1]!, registrationId: decodeURIComponent(m[2]!) } : undefined
}

/** The part of the connection a DPS session uses (the hub's MqttConnection is one). */
type Connection = Pick<IotMqttConnection, 'accepted' | 'refuse' | 'write' | 'publish' | 'puback' | 'close' | 'log' | 'state'>

export class DpsMqttSession {
  private password: string | undefined
  private subscribed = false
  private registrationId = ''
  private idScope = ''

  constructor(
    private readonly conn: Connection,
    private readonly dps: DpsService,
  ) {}

  async connect(packet: IConnectPacket): Promise<void> {
    const names = parseDpsUsername(packet.username)
    if (!names) return this.conn.refuse(4, `username '${packet.username ?? ''}' is not '{idScope}/registrations/{registrationId}/api-version=…'`)
    if (packet.protocolVersion !== 4) return this.conn.refuse(1, `MQTT protocol level ${packet.protocolVersion} is not supported: use MQTT 3.1.1`)
    if (packet.clientId !== names.registrationId) return this.conn.refuse(2, `client id '${packet.clientId}' must be the registration id '${names.registrationId}'`)
    this.password = packet.password?.toString('utf8')
    this.registrationId = names.registrationId
    this.idScope = names.idScope
    try {
      // Authentication only: a disabled enrollment is refused on the register request, with its reason.
      await this.dps.checkCredentials({ ...names, sasToken: this.password })
    } catch (err) {
      if (isAppError(err) && err.kind !== 'internal') return this.conn.refuse(err.kind === 'unauthorized' ? 5 : 4, err.message)
      throw err
    }
    if (this.conn.state === 'closed') return
    const se = parseSasToken(this.password!).se
    this.conn.accepted({ deviceId: names.registrationId, moduleId: null }, packet.keepalive ?? 0, se)
    this.conn.write({ cmd: 'connack', returnCode: 0, sessionPresent: false })
    this.conn.log.info({ event: 'dps.mqtt_connected', registrationId: names.registrationId }, 'provisioning client connected')
  }

  onPacket(packet: ClientPacket): void {
    switch (packet.cmd) {
      case 'subscribe':
        return this.subscribe(packet)
      case 'unsubscribe':
        return this.unsubscribe(packet)
      case 'publish':
        void this.publish(packet)
        return
      case 'puback':
        return
    }
  }

  private subscribe(packet: ISubscribePacket): void {
    const granted = packet.subscriptions.map((s) => {
      if (s.topic !== DPS_RESPONSE_FILTER) return 0x80
      this.subscribed = true
      return Math.min(s.qos, 1)
    })
    this.conn.write({ cmd: 'suback', messageId: packet.messageId, granted })
  }

  private unsubscribe(packet: IUnsubscribePacket): void {
    if (packet.unsubscriptions.includes(DPS_RESPONSE_FILTER)) this.subscribed = false
    this.conn.write({ cmd: 'unsuback', messageId: packet.messageId!, granted: [] })
  }

  private async publish(packet: IPublishPacket): Promise<void> {
    const q = packet.topic.indexOf('?')
    const path = q < 0 ? packet.topic : packet.topic.slice(0, q)
    const query = new URLSearchParams(q < 0 ? '' : packet.topic.slice(q + 1))
    const rid = query.get('$rid')
    if (path !== REGISTER_TOPIC && path !== STATUS_TOPIC) return this.conn.close(`'${packet.topic}' is not a provisioning topic`)
    this.conn.puback(packet.messageId)
    if (rid === null) return this.conn.close(`'${packet.topic}' has no $rid`)
    try {
      const request = { idScope: this.idScope, registrationId: this.registrationId, sasToken: this.password }
      let op
      if (path === REGISTER_TOPIC) {
        const body = parseBody(packet.payload)
        op = await this.dps.register({ ...request, bodyRegistrationId: body.registrationId, payload: body.payload })
      } else {
        op = await this.dps.operationStatus(request, query.get('operationId') ?? '')
      }
      const status = op.status === 'assigning' ? 202 : 200
      const retry = op.status === 'assigning' ? `&retry-after=${this.dps.retryAfterSeconds}` : ''
      this.respond(`$dps/registrations/res/${status}/?$rid=${encodeURIComponent(rid)}${retry}`, op)
    } catch (err) {
      const status = isAppError(err) ? HTTP_STATUS[err.kind] : 500
      if (status >= 500) this.conn.log.error({ err, event: 'dps.failed', topic: packet.topic }, 'provisioning request failed')
      else this.conn.log.info({ event: 'dps.rejected', status, reason: (err as Error).message }, 'provisioning request rejected')
      this.respond(`$dps/registrations/res/${status}/?$rid=${encodeURIComponent(rid)}`, dpsErrorBody(err, rid))
    }
  }

  private respond(topic: string, body: unknown): void {
    if (!this.subscribed) return // the client has not asked for answers
    this.conn.publish(topic, JSON.stringify(body), 0)
  }
}

function parseBody(payload: Buffer | string): { registrationId?: string; payload?: unknown } {
  try {
    const v = JSON.parse(payload.toString()) as unknown
    return v && typeof v === 'object' ? (v as { registrationId?: string; payload?: unknown }) : {}
  } catch {
    return {}
  }
}
