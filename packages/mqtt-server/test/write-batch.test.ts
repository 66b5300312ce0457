import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { generate, parser as createParser, type IConnectPacket, type Packet } from 'mqtt-packet'
import { silentLogger, systemClock } from '@ledge/common'
import { IotMqttConnection, type ClientPacket } from '../src/index.js'
import { WriteBatch } from '../src/write-batch.js'

/** Each write to a flowing PassThrough comes out as one 'data' chunk: the chunks are the writes. */
function recorder() {
  const stream = new PassThrough()
  const writes: Buffer[] = []
  stream.on('data', (b: Buffer) => writes.push(b))
  return { stream, writes }
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve))

describe('WriteBatch', () => {
  it('sends what is added during one tick in one write, in order', async () => {
    const { stream, writes } = recorder()
    const batch = new WriteBatch(stream)
    batch.add(Buffer.from('one '))
    batch.add(Buffer.from('two '))
    batch.add(Buffer.from('three'))
    assert.equal(writes.length, 0, 'nothing leaves before the tick ends')
    await nextTick()
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(writes.map(String), ['one two three'])
  })

  it('sends each tick separately, and several connections in the same tick each in one write', async () => {
    const a = recorder()
    const b = recorder()
    const batchA = new WriteBatch(a.stream)
    const batchB = new WriteBatch(b.stream)
    batchA.add(Buffer.from('a1'))
    batchB.add(Buffer.from('b1'))
    batchA.add(Buffer.from('a2'))
    await new Promise((r) => setImmediate(r))
    batchA.add(Buffer.from('a3'))
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(a.writes.map(String), ['a1a2', 'a3'])
    assert.deepEqual(b.writes.map(String), ['b1'])
  })

  it('flush() writes at once (before the stream is ended), and large chunks keep their order', async () => {
    const { stream, writes } = recorder()
    const batch = new WriteBatch(stream)
    const big = Buffer.alloc(48 * 1024, 0x62)
    batch.add(Buffer.from('head'))
    batch.add(big)
    batch.add(big)
    batch.add(Buffer.from('tail'))
    batch.flush()
    await new Promise((r) => setImmediate(r))
    const all = Buffer.concat(writes)
    assert.equal(all.length, 4 + 2 * big.length + 4)
    assert.equal(all.subarray(0, 4).toString(), 'head')
    assert.equal(all.subarray(all.length - 4).toString(), 'tail')
    await nextTick() // the scheduled flush finds nothing left
    assert.equal(Buffer.concat(writes).length, all.length)
  })
})

/** Accepts every client and acknowledges every QoS 1 PUBLISH at once. */
class AckingConnection extends IotMqttConnection {
  protected async onConnect(packet: IConnectPacket): Promise<void> {
    this.accepted({ deviceId: packet.clientId, moduleId: null }, 60, Date.now() / 1000 + 3600)
    this.write({ cmd: 'connack', returnCode: 0, sessionPresent: false })
  }
  protected onPacket(packet: ClientPacket): void {
    if (packet.cmd === 'publish') this.puback(packet.messageId)
  }
  protected onClosed(): void {}
}

describe('IotMqttConnection writes', () => {
  it('acknowledges PUBLISHes read together with MQTT PUBACKs, in order', async () => {
    const server = createServer((socket) => new AckingConnection(socket, { clock: systemClock, log: silentLogger() }, { address: 'test', transport: 'mqtts' }))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as { port: number }
    const client: Socket = connect(port, '127.0.0.1')
    try {
      await once(client, 'connect')
      const received: Packet[] = []
      const chunks: Buffer[] = []
      const parser = createParser({ protocolVersion: 4 })
      parser.on('packet', (p: Packet) => received.push(p))
      client.on('data', (b: Buffer) => (chunks.push(b), parser.parse(b)))
      client.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'd1', clean: true, keepalive: 60 }))
      while (received.length < 1) await once(client, 'data')
      const ids = [7, 300, 65535]
      const publishes = ids.map((messageId) => generate({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, dup: false, retain: false, messageId }))
      chunks.length = 0
      client.write(Buffer.concat(publishes))
      while (received.length < 1 + ids.length) await once(client, 'data')
      assert.deepEqual(
        received.slice(1).map((p) => [p.cmd, (p as { messageId?: number }).messageId]),
        ids.map((id) => ['puback', id]),
      )
      // Byte for byte what mqtt-packet generates for the three PUBACKs.
      assert.deepEqual(Buffer.concat(chunks), Buffer.concat(ids.map((messageId) => generate({ cmd: 'puback', messageId }))))
    } finally {
      client.destroy()
      server.close()
    }
  })
})
