// The IoT Hub MQTT dialect, checked two ways: against the strings of azure-sdk-wire.md §3 and §5, and against the real,
// unmodified azure-iot-device + azure-iot-device-mqtt clients wired to an in-process fake of their MqttBase (no
// sockets): what they publish and subscribe we classify, and what we publish they dispatch.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import { formatPropertyBag } from './property-bag.js'
import {
  c2dTopic,
  desiredPatchTopic,
  inputTopic,
  methodRequestTopic,
  parseInboundTopic,
  parseMqttUsername,
  parseSubscription,
  parseTopicQuery,
  twinResponseTopic,
  type ClientIdentity,
} from './topics.js'

const require = createRequire(import.meta.url)
const sdk = require('azure-iot-device') as typeof import('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')

const DEVICE: ClientIdentity = { deviceId: 'd1' }
const MODULE: ClientIdentity = { deviceId: 'd1', moduleId: 'm1' }
const KEY = Buffer.alloc(32, 7).toString('base64')

interface Packet {
  op: 'publish' | 'subscribe'
  topic: string
  payload?: string
  qos: number
}

/** Stands in for azure-iot-mqtt-base's MqttBase (the SDK's mqtt.js wrapper): records what the client sends. */
class FakeMqttBase extends EventEmitter {
  config: { username: string; clientId: string; sharedAccessSignature?: string } | undefined
  readonly sent: Packet[] = []
  connect(config: FakeMqttBase['config'], done: (err: Error | null, connack: unknown) => void): void {
    this.config = config
    setImmediate(() => done(null, { cmd: 'connack', returnCode: 0, sessionPresent: false }))
  }
  disconnect(done: () => void): void {
    done()
  }
  publish(topic: string, payload: unknown, options: { qos: number }, done: (err: Error | null, puback?: unknown) => void): void {
    this.sent.push({ op: 'publish', topic, payload: String(payload), qos: options.qos })
    setImmediate(() => done(null, { cmd: 'puback' }))
  }
  subscribe(topic: string, options: { qos: number }, done: (err: Error | null, granted?: unknown) => void): void {
    this.sent.push({ op: 'subscribe', topic, qos: options.qos })
    setImmediate(() => done(null, [{ topic, qos: options.qos }]))
  }
  unsubscribe(_topic: string, done: (err?: Error) => void): void {
    done()
  }
  updateSharedAccessSignature(_sas: string, done: (err?: Error) => void): void {
    done()
  }
  setOptions(_options: unknown, done?: (err?: Error) => void): void {
    done?.()
  }
  /** The hub publishes `topic` to the client. */
  deliver(topic: string, payload: string | Buffer = ''): void {
    this.emit('message', topic, Buffer.from(payload))
  }
  async next(match: (p: Packet) => boolean): Promise<Packet> {
    for (let i = 0; i < 200; i++) {
      const p = this.sent.find(match)
      if (p) return p
      await new Promise((r) => setTimeout(r, 5))
    }
    throw new Error('the SDK did not send the expected packet')
  }
}

type SdkClient = InstanceType<typeof sdk.Client> | InstanceType<typeof sdk.ModuleClient>

async function openSdkClient(connectionString: string, modelId?: string): Promise<{ client: SdkClient; base: FakeMqttBase }> {
  const base = new FakeMqttBase()
  const transport = function (authenticationProvider: unknown) {
    return new Mqtt(authenticationProvider as never, base as never)
  }
  const client = connectionString.includes('ModuleId=')
    ? sdk.ModuleClient.fromConnectionString(connectionString, transport as never)
    : sdk.Client.fromConnectionString(connectionString, transport as never)
  if (modelId) await (client as InstanceType<typeof sdk.Client>).setOptions({ modelId })
  await client.open()
  return { client, base }
}

const sdkMessage = (body: string, set: (m: InstanceType<typeof sdk.Message>) => void) => {
  const m = new sdk.Message(body)
  set(m)
  return m
}

describe('parseMqttUsername', () => {
  it('reads the username seen on the wire', () => {
    assert.deepEqual(
      parseMqttUsername('localhost/d1/?api-version=2021-04-12&DeviceClientType=azure-iot-device%2F1.18.4%20(node%20v20.20.2%3B%20Debian%2012%3B%20x64)'),
      { hostName: 'localhost', deviceId: 'd1', apiVersion: '2021-04-12', clientType: 'azure-iot-device/1.18.4 (node v20.20.2; Debian 12; x64)' },
    )
  })

  it('keeps model-id raw (sent unencoded, with : and ;) and a host:port', () => {
    assert.deepEqual(parseMqttUsername('localhost:18883/d1/m1/?api-version=2021-04-12&model-id=dtmi:com:example:Thermostat;1&DeviceClientType=x'), {
      hostName: 'localhost:18883',
      deviceId: 'd1',
      moduleId: 'm1',
      apiVersion: '2021-04-12',
      modelId: 'dtmi:com:example:Thermostat;1',
      clientType: 'x',
    })
  })

  it('accepts a username without a query, ignores unknown parameters and keeps undecodable values raw', () => {
    assert.deepEqual(parseMqttUsername('hub/d1'), { hostName: 'hub', deviceId: 'd1' })
    assert.deepEqual(parseMqttUsername('hub/d1/'), { hostName: 'hub', deviceId: 'd1' })
    assert.deepEqual(parseMqttUsername('hub/d1/?foo=bar&DeviceClientType=100%'), { hostName: 'hub', deviceId: 'd1', clientType: '100%' })
  })

  it('refuses usernames that do not name a device', () => {
    for (const u of ['localhost', 'localhost/', 'hub//?api-version=1', 'hub/d1/m1/extra/?api-version=1', '0ne000/registrations/reg1/api-version=2019-03-31&ClientVersion=x', '']) {
      assert.equal(parseMqttUsername(u), undefined, u)
    }
  })
})

describe('parseInboundTopic', () => {
  it('telemetry, with and without properties', () => {
    const empty = { kind: 'telemetry', systemProperties: {}, properties: {} }
    assert.deepEqual(parseInboundTopic('devices/d1/messages/events/', DEVICE), empty)
    assert.deepEqual(parseInboundTopic('devices/d1/messages/events', DEVICE), empty)
    assert.deepEqual(parseInboundTopic('devices/d1/messages/events/%24.mid=msg-1&alert=hot%20%26%20humid&%24.sub=thermo', DEVICE), {
      kind: 'telemetry',
      systemProperties: { messageId: 'msg-1', componentName: 'thermo' },
      properties: { alert: 'hot & humid' },
    })
  })

  it('module telemetry and outputs on the module topic', () => {
    assert.deepEqual(parseInboundTopic('devices/d1/modules/m1/messages/events/%24.on=output1/', MODULE), {
      kind: 'telemetry',
      systemProperties: { outputName: 'output1' },
      properties: {},
    })
    assert.deepEqual(parseInboundTopic('devices/d1/modules/m1/messages/events/', MODULE), { kind: 'telemetry', systemProperties: {}, properties: {} })
  })

  it('twin GET and reported PATCH (with or without the slash before ?), method responses', () => {
    assert.deepEqual(parseInboundTopic('$iothub/twin/GET/?$rid=0f5c', DEVICE), { kind: 'twinGet', rid: '0f5c' })
    assert.deepEqual(parseInboundTopic('$iothub/twin/GET?$rid=1', MODULE), { kind: 'twinGet', rid: '1' })
    assert.deepEqual(parseInboundTopic('$iothub/twin/PATCH/properties/reported/?$rid=2', DEVICE), { kind: 'twinPatchReported', rid: '2' })
    assert.deepEqual(parseInboundTopic('$iothub/twin/PATCH/properties/reported?$rid=3&$version=4', DEVICE), { kind: 'twinPatchReported', rid: '3' })
    assert.deepEqual(parseInboundTopic('$iothub/methods/res/200/?$rid=42', DEVICE), { kind: 'methodResponse', rid: '42', status: 200 })
    assert.deepEqual(parseInboundTopic('$iothub/methods/res/404?$rid=a%20b', MODULE), { kind: 'methodResponse', rid: 'a b', status: 404 })
  })

  it('rejections, with the reason', () => {
    const cases: [string, ClientIdentity, string][] = [
      ['devices/d2/messages/events/', DEVICE, "device 'd1' may not publish to 'devices/d2/messages/events/': only to 'devices/d1/messages/events/'"],
      ['devices/d1/modules/m1/messages/events/', DEVICE, "device 'd1' may not publish to 'devices/d1/modules/m1/messages/events/': only to 'devices/d1/messages/events/'"],
      ['devices/d1/messages/events/', MODULE, "module 'd1/m1' may not publish to 'devices/d1/messages/events/': only to 'devices/d1/modules/m1/messages/events/'"],
      ['devices/d1/modules/m2/messages/events/', MODULE, "module 'd1/m1' may not publish to 'devices/d1/modules/m2/messages/events/': only to 'devices/d1/modules/m1/messages/events/'"],
      ['devices/d1/messages/devicebound/x', DEVICE, "device 'd1' may not publish to 'devices/d1/messages/devicebound/x': only to 'devices/d1/messages/events/'"],
      ['devices/d1/messages/eventsX', DEVICE, "device 'd1' may not publish to 'devices/d1/messages/eventsX': only to 'devices/d1/messages/events/'"],
      ['devices/d1/messages/events/a=%E0%A4%A', DEVICE, "property bag value of 'a' '%E0%A4%A' is not URL-encoded correctly"],
      ['devices/d1/messages/events/%24.exp=soon', DEVICE, "property '$.exp' must be an ISO 8601 time, got 'soon'"],
      ['devices/d1/messages/events/a=1/b=2', DEVICE, "property bag 'a=1/b=2' contains '/': properties must be the last topic segment"],
      ['telemetry', DEVICE, "topic 'telemetry' is not part of the IoT Hub MQTT dialect"],
      ['$iothub/twin/GET/', DEVICE, 'twin GET needs a $rid'],
      ['$iothub/twin/GET/?$rid=', DEVICE, 'twin GET needs a $rid'],
      ['$iothub/twin/PATCH/properties/reported/', DEVICE, 'twin PATCH needs a $rid'],
      ['$iothub/methods/res/200/', DEVICE, 'method response needs a $rid'],
      ['$iothub/methods/res/abc/?$rid=1', DEVICE, "topic '$iothub/methods/res/abc/?$rid=1' is not one a client may publish to"],
      ['$iothub/methods/POST/reboot/?$rid=1', DEVICE, "topic '$iothub/methods/POST/reboot/?$rid=1' is not one a client may publish to"],
      ['$iothub/twin/PATCH/properties/desired/?$rid=1', DEVICE, "topic '$iothub/twin/PATCH/properties/desired/?$rid=1' is not one a client may publish to"],
      ['$iothub/twin/res/200/?$rid=1', DEVICE, "topic '$iothub/twin/res/200/?$rid=1' is not one a client may publish to"],
    ]
    for (const [topic, id, reason] of cases) assert.deepEqual(parseInboundTopic(topic, id), { kind: 'rejected', reason }, topic)
  })
})

describe('parseSubscription', () => {
  it('allows the filters of the dialect, each for what it stands for', () => {
    const allowed: [string, ClientIdentity, string][] = [
      ['devices/d1/messages/devicebound/#', DEVICE, 'c2d'],
      ['devices/d1/messages/devicebound/', DEVICE, 'c2d'],
      ['devices/d1/modules/m1/inputs/#', MODULE, 'inputs'],
      ['devices/d1/modules/m1/#', MODULE, 'inputs'],
      ['$iothub/twin/res/#', DEVICE, 'twinResponses'],
      ['$iothub/twin/res/#', MODULE, 'twinResponses'],
      ['$iothub/twin/PATCH/properties/desired/#', DEVICE, 'twinDesired'],
      ['$iothub/twin/PATCH/properties/desired/', MODULE, 'twinDesired'],
      ['$iothub/methods/POST/#', DEVICE, 'methods'],
      ['$iothub/methods/POST/', MODULE, 'methods'],
    ]
    for (const [filter, id, kind] of allowed) assert.equal(parseSubscription(filter, id), kind, filter)
  })

  it("denies other identities' topics, wildcards beyond the dialect and module/device mix-ups", () => {
    const denied: [string, ClientIdentity][] = [
      ['devices/d2/messages/devicebound/#', DEVICE],
      ['devices/+/messages/devicebound/#', DEVICE],
      ['devices/d1/messages/devicebound/#', MODULE],
      ['devices/d1/modules/m1/inputs/#', DEVICE],
      ['devices/d1/modules/m2/inputs/#', MODULE],
      ['devices/d1/#', DEVICE],
      ['devices/d1/messages/events/#', DEVICE],
      ['#', DEVICE],
      ['$iothub/#', DEVICE],
      ['$iothub/twin/#', MODULE],
      ['$iothub/methods/res/#', DEVICE],
    ]
    for (const [filter, id] of denied) assert.equal(parseSubscription(filter, id), undefined, filter)
  })
})

describe('topics the hub publishes', () => {
  it('are formatted as the SDK expects', () => {
    assert.equal(c2dTopic('d1', 'color=red'), 'devices/d1/messages/devicebound/color=red')
    assert.equal(c2dTopic('d1', ''), 'devices/d1/messages/devicebound/', 'the slash after devicebound stays')
    assert.equal(inputTopic('d1', 'm1', 'input1', ''), 'devices/d1/modules/m1/inputs/input1/', 'the slash after the input name stays')
    assert.equal(twinResponseTopic(200, 'r1'), '$iothub/twin/res/200/?$rid=r1')
    assert.equal(twinResponseTopic(204, 'r2', 5), '$iothub/twin/res/204/?$rid=r2&$version=5')
    assert.equal(desiredPatchTopic(7), '$iothub/twin/PATCH/properties/desired/?$version=7')
    assert.equal(methodRequestTopic('reboot', '42'), '$iothub/methods/POST/reboot/?$rid=42')
  })

  it('parseTopicQuery reads and decodes the query', () => {
    assert.deepEqual([...parseTopicQuery('$iothub/twin/res/204/?$rid=r%201&$version=5&flag')], [['$rid', 'r 1'], ['$version', '5'], ['flag', '']])
    assert.deepEqual([...parseTopicQuery('$iothub/twin/GET/')], [])
    assert.deepEqual([...parseTopicQuery('x?$rid=%E0')], [['$rid', '%E0']], 'undecodable text is kept as it is')
  })
})

describe('the real device SDK (azure-iot-device 1.18.4 over azure-iot-device-mqtt)', () => {
  let device: { client: SdkClient; base: FakeMqttBase }
  let module: { client: SdkClient; base: FakeMqttBase }
  before(async () => {
    device = await openSdkClient(`HostName=localhost:18883;DeviceId=d1;SharedAccessKey=${KEY}`, 'dtmi:com:example:Thermostat;1')
    module = await openSdkClient(`HostName=myhub.example.com;GatewayHostName=localhost:18883;DeviceId=d1;ModuleId=m1;SharedAccessKey=${KEY}`)
  })
  after(async () => {
    await device.client.close()
    await module.client.close()
  })

  it('connects with a username we parse (model-id, host:port, module)', () => {
    const d = parseMqttUsername(device.base.config?.username ?? '')
    assert.equal(device.base.config?.clientId, 'd1')
    assert.deepEqual({ ...d, clientType: undefined }, {
      hostName: 'localhost:18883',
      deviceId: 'd1',
      apiVersion: '2021-04-12',
      modelId: 'dtmi:com:example:Thermostat;1',
      clientType: undefined,
    })
    assert.match(d?.clientType ?? '', /^azure-iot-device\/1\.18\.4 \(node v/)
    assert.equal(module.base.config?.clientId, 'd1/m1')
    assert.deepEqual(
      { ...parseMqttUsername(module.base.config?.username ?? ''), clientType: undefined },
      { hostName: 'myhub.example.com', deviceId: 'd1', moduleId: 'm1', apiVersion: '2021-04-12', clientType: undefined },
      'the username keeps HostName; GatewayHostName only changes the socket target',
    )
  })

  it('sendEvent: telemetry we classify, properties and all', async () => {
    const msg = sdkMessage('{"t":21}', (m) => {
      m.messageId = 'msg-1'
      m.correlationId = 'corr-1'
      m.contentType = 'application/json'
      m.contentEncoding = 'utf-8'
      m.expiryTimeUtc = '2026-11-23T20:29:29.866Z'
      m.properties.add('alert', 'hot & humid')
      m.properties.add('dt-subject', 'thermo')
    })
    await device.client.sendEvent(msg)
    const p = await device.base.next((x) => x.op === 'publish' && x.topic.startsWith('devices/'))
    assert.equal(
      p.topic,
      'devices/d1/messages/events/%24.mid=msg-1&%24.cid=corr-1&%24.ct=application%2Fjson&%24.ce=utf-8&%24.exp=2026-11-23T20%3A29%3A29.866Z&alert=hot%20%26%20humid&%24.sub=thermo',
    )
    assert.equal(p.qos, 1)
    assert.deepEqual(parseInboundTopic(p.topic, DEVICE), {
      kind: 'telemetry',
      systemProperties: {
        messageId: 'msg-1',
        correlationId: 'corr-1',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        expiryTimeUtc: '2026-11-23T20:29:29.866Z',
        componentName: 'thermo',
      },
      properties: { alert: 'hot & humid' },
    })
  })

  it('sendOutputEvent and module sendEvent: module telemetry we classify', async () => {
    const client = module.client as InstanceType<typeof sdk.ModuleClient>
    await client.sendOutputEvent('output1', sdkMessage('x', () => {}))
    await client.sendOutputEvent('output2', sdkMessage('x', (m) => m.properties.add('k', 'v')))
    await client.sendEvent(sdkMessage('x', (m) => (m.messageId = 'plain')))
    const topics = module.base.sent.filter((x) => x.op === 'publish' && x.topic.startsWith('devices/')).map((x) => x.topic)
    assert.deepEqual(topics, [
      'devices/d1/modules/m1/messages/events/%24.on=output1/',
      'devices/d1/modules/m1/messages/events/%24.on=output2&k=v/',
      'devices/d1/modules/m1/messages/events/%24.mid=plain',
    ])
    assert.deepEqual(topics.map((t) => parseInboundTopic(t, MODULE)), [
      { kind: 'telemetry', systemProperties: { outputName: 'output1' }, properties: {} },
      { kind: 'telemetry', systemProperties: { outputName: 'output2' }, properties: { k: 'v' } },
      { kind: 'telemetry', systemProperties: { messageId: 'plain' }, properties: {} },
    ])
    assert.equal(parseInboundTopic(topics[0] as string, DEVICE).kind, 'rejected', 'the device may not publish as its module')
  })

  it('C2D we format reaches the device message listener; without the slash after devicebound it would not', async () => {
    const received: InstanceType<typeof sdk.Message>[] = []
    device.client.on('message', (m: InstanceType<typeof sdk.Message>) => received.push(m))
    const sub = await device.base.next((x) => x.op === 'subscribe' && x.topic.includes('devicebound'))
    assert.deepEqual([parseSubscription(sub.topic, DEVICE), sub.qos], ['c2d', 1])

    const bag = formatPropertyBag(
      { messageId: 'c2d-1', to: '/devices/d1/messages/deviceBound', contentType: 'application/json', correlationId: 'c', expiryTimeUtc: '2030-01-01T00:00:00.000Z' },
      { color: 'red', 'a b': 'x=y&z' },
      ['messageId', 'to', 'expiryTimeUtc', 'correlationId', 'userId', 'contentType', 'contentEncoding'],
    )
    device.base.deliver(c2dTopic('d1', bag), 'hello')
    device.base.deliver(c2dTopic('d1', ''), 'bare')
    device.base.deliver('devices/d1/messages/devicebound', 'dropped by the SDK regex')
    await new Promise((r) => setImmediate(r))
    assert.equal(received.length, 2)
    const [m, bare] = received as [InstanceType<typeof sdk.Message>, InstanceType<typeof sdk.Message>]
    assert.deepEqual(
      [m.messageId, m.to, m.contentType, m.correlationId, m.expiryTimeUtc, String(m.data)],
      ['c2d-1', '/devices/d1/messages/deviceBound', 'application/json', 'c', '2030-01-01T00:00:00.000Z', 'hello'],
    )
    assert.deepEqual(m.properties.propertyList, [{ key: 'color', value: 'red' }, { key: 'a b', value: 'x=y&z' }])
    assert.deepEqual([String(bare.data), bare.properties.count()], ['bare', 0])
  })

  it('module inputs we format reach the inputMessage listener', async () => {
    const received: [string, InstanceType<typeof sdk.Message>][] = []
    const client = module.client as InstanceType<typeof sdk.ModuleClient>
    client.on('inputMessage', (name: string, m: InstanceType<typeof sdk.Message>) => received.push([name, m]))
    const sub = await module.base.next((x) => x.op === 'subscribe' && x.topic.includes('inputs'))
    assert.deepEqual([sub.topic, parseSubscription(sub.topic, MODULE), sub.qos], ['devices/d1/modules/m1/inputs/#', 'inputs', 1])
    const bag = formatPropertyBag({ messageId: 'in-1', connectionDeviceId: 'd1', connectionModuleId: 'other' }, { k: 'v' })
    module.base.deliver(inputTopic('d1', 'm1', 'input1', bag), 'in')
    module.base.deliver('devices/d1/modules/m1/inputs/input1', 'dropped by the SDK regex')
    await new Promise((r) => setImmediate(r))
    assert.equal(received.length, 1)
    const [name, m] = received[0] as [string, InstanceType<typeof sdk.Message>]
    assert.deepEqual([name, m.messageId, String(m.data)], ['input1', 'in-1', 'in'])
    assert.deepEqual(m.properties.propertyList, [{ key: '$.cdid', value: 'd1' }, { key: '$.cmid', value: 'other' }, { key: 'k', value: 'v' }])
  })

  it('direct methods: our request topic reaches the handler, and its response is one we classify', async () => {
    const client = device.client as InstanceType<typeof sdk.Client>
    const requests: { requestId: string; payload: unknown }[] = []
    client.onDeviceMethod('reboot', (req, res) => {
      requests.push({ requestId: req.requestId, payload: req.payload })
      res.send(200, { result: 'rebooting' }, () => {})
    })
    const sub = await device.base.next((x) => x.op === 'subscribe' && x.topic.startsWith('$iothub/methods'))
    assert.deepEqual([parseSubscription(sub.topic, DEVICE), sub.qos], ['methods', 0])
    device.base.deliver(methodRequestTopic('reboot', '42'), '{"delay":5}')
    const res = await device.base.next((x) => x.op === 'publish' && x.topic.startsWith('$iothub/methods/res'))
    assert.deepEqual(requests, [{ requestId: '42', payload: { delay: 5 } }])
    assert.deepEqual([res.topic, res.payload], ['$iothub/methods/res/200/?$rid=42', '{"result":"rebooting"}'])
    assert.deepEqual(parseInboundTopic(res.topic, DEVICE), { kind: 'methodResponse', rid: '42', status: 200 })
  })

  it('twin: GET and reported PATCH we classify; our responses and desired patches reach the SDK', async () => {
    const client = device.client as InstanceType<typeof sdk.Client>
    const twinPromise = client.getTwin()
    const get = await device.base.next((x) => x.op === 'publish' && x.topic.startsWith('$iothub/twin/GET'))
    const sub = device.base.sent.find((x) => x.op === 'subscribe' && x.topic.startsWith('$iothub/twin/res'))
    assert.deepEqual([sub?.topic, parseSubscription(sub?.topic ?? '', DEVICE)], ['$iothub/twin/res/#', 'twinResponses'])
    const getKind = parseInboundTopic(get.topic, DEVICE)
    assert.equal(get.payload, ' ')
    assert.equal(getKind.kind, 'twinGet')
    const rid = (getKind as { rid: string }).rid
    device.base.deliver(twinResponseTopic(200, rid), JSON.stringify({ desired: { fan: 1, $version: 3 }, reported: { $version: 1 } }))
    const twin = await twinPromise
    assert.equal(twin.properties.desired.fan, 1)

    const updated = new Promise<void>((resolve, reject) => twin.properties.reported.update({ temp: 21 }, (err?: Error) => (err ? reject(err) : resolve())))
    const patch = await device.base.next((x) => x.op === 'publish' && x.topic.startsWith('$iothub/twin/PATCH/properties/reported'))
    const patchKind = parseInboundTopic(patch.topic, DEVICE)
    assert.equal(patchKind.kind, 'twinPatchReported')
    assert.equal(patch.payload, '{"temp":21}')
    device.base.deliver(twinResponseTopic(204, (patchKind as { rid: string }).rid, 2))
    await updated

    const desired: unknown[] = []
    twin.on('properties.desired', (d: unknown) => desired.push(d))
    const desiredSub = await device.base.next((x) => x.op === 'subscribe' && x.topic.startsWith('$iothub/twin/PATCH'))
    assert.equal(parseSubscription(desiredSub.topic, DEVICE), 'twinDesired')
    device.base.deliver(desiredPatchTopic(4), JSON.stringify({ fan: 2, $version: 4 }))
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(desired.at(-1), { fan: 2, $version: 4 })
    assert.equal(twin.properties.desired.fan, 2)
  })
})
