/**
 * Nothing acknowledged is lost: a hub process stopped with SIGTERM (graceful) or SIGKILL (crash) in the middle of a
 * telemetry burst still has, after a restart on the same data folder, every message it sent a PUBACK for.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { createIdentitySasToken } from '@ledge/protocol'
import { freeLoopbackAddress, repoRoot, startTestHub, testCaFiles } from '@ledge/testkit'
import { rest } from './helpers.js'

const ledgeBin = join(repoRoot, 'packages', 'cli', 'bin', 'ledge.js')

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`${signal} during a QoS 1 burst loses no acknowledged message`, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), `ledge-${signal.toLowerCase()}-`))
    const host = await freeLoopbackAddress(443)
    const ca = testCaFiles()
    try {
      const hub = spawn(process.execPath, [ledgeBin, 'hub', 'start', '--data-dir', dataDir, '--hostname', host, '--bind', host,
        '--https-port', '443', '--mqtt-port', '0', '--amqp-port', '0', '--ca-cert', ca.certFile, '--ca-key', ca.keyFile, '--log-level', 'warn'],
      { stdio: ['ignore', 'ignore', 'inherit'] })
      const exited = new Promise<void>((r) => hub.once('exit', () => r()))
      const infoFile = join(dataDir, 'hub.json')
      for (let i = 0; i < 300 && !existsSync(infoFile); i++) await new Promise((r) => setTimeout(r, 100))
      const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { mqttPort: number; serviceConnectionString: string }

      // Register the device through the REST API of the child hub.
      const th = { url: `https://${host}`, serviceConnectionString: info.serviceConnectionString }
      const created = await rest(th, 'PUT', '/devices/burst', { deviceId: 'burst' })
      assert.equal(created.status, 200)
      const key = (created.body as { authentication: { symmetricKey: { primaryKey: string } } }).authentication.symmetricKey.primaryKey

      const client = mqtt.connect(`mqtts://${host}:${info.mqttPort}`, {
        protocolVersion: 4, clientId: 'burst', clean: false, reconnectPeriod: 0, ca: readFileSync(ca.certFile, 'utf8'),
        username: `${host}/burst/?api-version=2021-04-12`,
        password: createIdentitySasToken({ hostName: host, deviceId: 'burst', keyBase64: key, expiresAt: Date.now() / 1000 + 600 }),
      })
      client.on('error', () => undefined)
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve())
        client.once('error', reject)
      })
      const acked = new Set<number>()
      let killed = false
      const burst = new Promise<void>((resolve) => {
        let sent = 0
        const WINDOW = 64
        const TOTAL = 20_000
        const pump = (): void => {
          while (!killed && sent < TOTAL && sent - acked.size < WINDOW) {
            const seq = sent++
            client.publish('devices/burst/messages/events/', JSON.stringify({ seq }), { qos: 1 }, (err) => {
              if (!err) acked.add(seq)
              if (!killed && acked.size >= 500) {
                killed = true
                hub.kill(signal)
                resolve()
              }
              pump()
            })
          }
        }
        pump()
        setTimeout(resolve, 30_000).unref()
      })
      await burst
      await exited
      client.end(true)
      assert.ok(acked.size >= 500, `the burst got ${acked.size} acknowledgements`)

      await using again = await startTestHub({ dataDir, bind: host })
      const stored = new Set<number>()
      let from = 0
      for (;;) {
        const page = await rest(again, 'GET', `/events/messages?deviceId=burst&from=${from}&limit=1000`)
        const events = (page.body as { events: { body: { seq: number } }[]; next: number }).events
        for (const e of events) stored.add(e.body.seq)
        if (events.length < 1000) break
        from = (page.body as { next: number }).next
      }
      const lost = [...acked].filter((s) => !stored.has(s))
      assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged messages were lost`)
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
}
