/**
 * The IoT Hub MQTT dialect: which topics a device or module may publish and subscribe, and the topics the hub
 * publishes to them (reference: azure-sdk-wire.md §3 and §5).
 */
import { parsePropertyBag, type PropertyBag } from './property-bag.js'

export interface ClientIdentity {
  deviceId: string
  moduleId?: string
}

/** What a client's PUBLISH is, once its topic is understood. */
export type InboundPublish =
  | ({ kind: 'telemetry' } & PropertyBag)
  | { kind: 'twinGet'; rid: string }
  | { kind: 'twinPatchReported'; rid: string }
  | { kind: 'methodResponse'; rid: string; status: number }

/** A topic the client may not use, or that does not parse, with the reason. */
export interface TopicRejection {
  kind: 'rejected'
  reason: string
}

/** The subscriptions of the IoT Hub dialect: each filter a client may use stands for one of these. */
export type SubscriptionKind = 'c2d' | 'inputs' | 'twinResponses' | 'twinDesired' | 'methods'

function identityPrefix(id: ClientIdentity): string {
  return id.moduleId ? `devices/${id.deviceId}/modules/${id.moduleId}/` : `devices/${id.deviceId}/`
}

/** Reads the `?k=v&…` part of `$iothub/…` topics. */
export function parseTopicQuery(topic: string): Map<string, string> {
  const q = new Map<string, string>()
  const at = topic.indexOf('?')
  if (at < 0) return q
  for (const pair of topic.slice(at + 1).split('&')) {
    if (!pair) continue
    const eq = pair.indexOf('=')
    const k = eq < 0 ? pair : pair.slice(0, eq)
    const v = eq < 0 ? '' : pair.slice(eq + 1)
    try {
      q.set(decodeURIComponent(k), decodeURIComponent(v))
    } catch {
      q.set(k, v)
    }
  }
  return q
}

/**
 * Classifies a PUBLISH from `id`. Telemetry must be on the client's own topic
 * (`devices/{d}/messages/events/…` or `devices/{d}/modules/{m}/messages/events/…`).
 */
export function parseInboundTopic(topic: string, id: ClientIdentity): InboundPublish | TopicRejection {
  if (topic.startsWith('$iothub/')) return parseIotHubTopic(topic)
  const events = `${identityPrefix(id)}messages/events`
  if (topic === events) return { kind: 'telemetry', systemProperties: {}, properties: {} }
  if (topic.startsWith(`${events}/`)) {
    try {
      return { kind: 'telemetry', ...parsePropertyBag(topic.slice(events.length + 1)) }
    } catch (err) {
      return { kind: 'rejected', reason: (err as Error).message }
    }
  }
  if (topic.startsWith('devices/')) {
    const who = id.moduleId ? `module '${id.deviceId}/${id.moduleId}'` : `device '${id.deviceId}'`
    return { kind: 'rejected', reason: `${who} may not publish to '${topic}': only to '${events}/'` }
  }
  return { kind: 'rejected', reason: `topic '${topic}' is not part of the IoT Hub MQTT dialect` }
}

function parseIotHubTopic(topic: string): InboundPublish | TopicRejection {
  const q = parseTopicQuery(topic)
  const rid = q.get('$rid')
  const path = topic.split('?')[0] ?? ''
  if (path === '$iothub/twin/GET/' || path === '$iothub/twin/GET') {
    if (!rid) return { kind: 'rejected', reason: 'twin GET needs a $rid' }
    return { kind: 'twinGet', rid }
  }
  if (path === '$iothub/twin/PATCH/properties/reported/' || path === '$iothub/twin/PATCH/properties/reported') {
    if (!rid) return { kind: 'rejected', reason: 'twin PATCH needs a $rid' }
    return { kind: 'twinPatchReported', rid }
  }
  // The SDK formats the status with %d: any integer may arrive, not only three digits.
  const m = /^\$iothub\/methods\/res\/(-?\d{1,10})\/?$/.exec(path)
  if (m) {
    if (!rid) return { kind: 'rejected', reason: 'method response needs a $rid' }
    return { kind: 'methodResponse', rid, status: Number(m[1]) }
  }
  return { kind: 'rejected', reason: `topic '${topic}' is not one a client may publish to` }
}

/** Which subscription a SUBSCRIBE filter from `id` stands for, or undefined if the client may not use it. */
export function parseSubscription(filter: string, id: ClientIdentity): SubscriptionKind | undefined {
  switch (filter) {
    case '$iothub/twin/res/#':
      return 'twinResponses'
    case '$iothub/twin/PATCH/properties/desired/#':
    case '$iothub/twin/PATCH/properties/desired/':
      return 'twinDesired'
    case '$iothub/methods/POST/#':
    case '$iothub/methods/POST/':
      return 'methods'
  }
  if (!id.moduleId && (filter === `devices/${id.deviceId}/messages/devicebound/#` || filter === `devices/${id.deviceId}/messages/devicebound/`)) return 'c2d'
  if (id.moduleId) {
    const prefix = identityPrefix(id)
    if (filter === `${prefix}inputs/#` || filter === `${prefix}#`) return 'inputs'
  }
  return undefined
}

/** `devices/{d}/messages/devicebound/{props}`: the slash after `devicebound` is required by the SDK's dispatch regex. */
export function c2dTopic(deviceId: string, propertyBag: string): string {
  return `devices/${deviceId}/messages/devicebound/${propertyBag}`
}

/** `devices/{d}/modules/{m}/inputs/{input}/{props}`: the slash after the input name is required. */
export function inputTopic(deviceId: string, moduleId: string, inputName: string, propertyBag: string): string {
  return `devices/${deviceId}/modules/${moduleId}/inputs/${inputName}/${propertyBag}`
}

export function twinResponseTopic(status: number, rid: string, version?: number): string {
  return `$iothub/twin/res/${status}/?$rid=${rid}${version !== undefined ? `&$version=${version}` : ''}`
}

export function desiredPatchTopic(version: number): string {
  return `$iothub/twin/PATCH/properties/desired/?$version=${version}`
}

export function methodRequestTopic(methodName: string, rid: string): string {
  return `$iothub/methods/POST/${methodName}/?$rid=${rid}`
}

/** The parts of the MQTT username `{host}/{deviceId}[/{moduleId}]/?api-version=…&DeviceClientType=…`. */
export interface MqttUsername {
  hostName: string
  deviceId: string
  moduleId?: string
  apiVersion?: string
  clientType?: string
  modelId?: string
}

export function parseMqttUsername(username: string): MqttUsername | undefined {
  const q = username.indexOf('/?')
  const path = q >= 0 ? username.slice(0, q) : username.replace(/\/+$/, '')
  const parts = path.split('/')
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) return undefined
  const [hostName, deviceId, moduleId] = parts as [string, string, string | undefined]
  const out: MqttUsername = { hostName, deviceId }
  if (moduleId) out.moduleId = moduleId
  if (q >= 0) {
    // model-id is sent unencoded and may contain ';' and ':'; split on '&' only.
    for (const pair of username.slice(q + 2).split('&')) {
      const eq = pair.indexOf('=')
      const k = eq < 0 ? pair : pair.slice(0, eq)
      const v = eq < 0 ? '' : pair.slice(eq + 1)
      let dv = v
      try {
        dv = decodeURIComponent(v)
      } catch {
        /* keep the raw value */
      }
      if (k === 'api-version') out.apiVersion = dv
      else if (k === 'DeviceClientType') out.clientType = dv
      else if (k === 'model-id') out.modelId = dv
    }
  }
  return out
}
