/**
 * A hub on PostgreSQL (`store: postgres://…`) with the unmodified Azure SDKs: what one hub accepted (a device
 * registered through the service SDK, its telemetry, its reported twin, a C2D message queued while it was away) is
 * there for another hub started on the same schema, with its own data folder; and two hubs on one schema at once
 * share the registry.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { cleanupStack, postgresProblem, postgresQuery, postgresSchemaFor, requireEnvironment, startTestHub, TEST_POSTGRES_URL } from '@ledge/testkit'
import { createDevice, device, eventually, once, openDevice, registryOf, rest } from './helpers.js'

const problem = await postgresProblem()

async function reportedUpdate(client: import('azure-iot-device').Client, patch: Record<string, unknown>): Promise<void> {
  const twin = await client.getTwin()
  await new Promise<void>((resolve, reject) => twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())))
}

async function eventBodies(th: Parameters<typeof rest>[0], deviceId: string): Promise<unknown[]> {
  const res = await rest(th, 'GET', `/events/messages?deviceId=${deviceId}&from=earliest&limit=10`)
  return (res.body as { events: { body: unknown }[] }).events.map((e) => e.body)
}

test('what a hub on PostgreSQL accepted is there for the next hub on the same schema', async (t) => {
  if (!requireEnvironment(t, problem)) return
  const cleanup = cleanupStack(t)
  const store = { store: TEST_POSTGRES_URL, storeSchema: postgresSchemaFor(t) }

  const first = await startTestHub(store)
  cleanup.push(() => first.close())
  assert.match(first.hub.storeLocation, new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:5432/test \\(schema ${store.storeSchema}\\)$`))
  const key = await createDevice(first, 'pg-dev')
  const client = await openDevice(first, 'pg-dev', key)
  await client.sendEvent(new device.Message('reading 1'))
  await reportedUpdate(client, { firmware: '2.0.1' })
  await eventually(async () => ((await eventBodies(first, 'pg-dev')).length === 1 ? true : undefined), 5000, 'the telemetry on the first hub')
  await client.close()
  const sent = await rest(first, 'POST', '/devices/pg-dev/messages/deviceBound', 'sent while away', { 'content-type': 'text/plain' })
  assert.equal(sent.status, 200, JSON.stringify(sent.body))
  await first.close()

  const second = await startTestHub(store)
  cleanup.push(() => second.close())
  assert.notEqual(second.dataDir, first.dataDir)
  // The service connection string comes from the policies in the database: the first hub's still works.
  assert.equal(second.serviceConnectionString.split(';').pop(), first.serviceConnectionString.split(';').pop())
  assert.deepEqual(await eventBodies(second, 'pg-dev'), ['reading 1'])
  const twin = (await registryOf(second).getTwin('pg-dev')).responseBody
  assert.equal((twin.properties.reported as Record<string, unknown>).firmware, '2.0.1')

  const again = await openDevice(second, 'pg-dev', key)
  cleanup.push(() => again.close())
  const message = await once<import('azure-iot-device').Message>(again, 'message')
  assert.equal(message.getData().toString(), 'sent while away')
  again.complete(message, () => undefined)
})

test('two hubs on one schema at once: a device registered through one connects through the other', async (t) => {
  if (!requireEnvironment(t, problem)) return
  const cleanup = cleanupStack(t)
  const store = { store: TEST_POSTGRES_URL, storeSchema: postgresSchemaFor(t) }
  const [a, b] = await Promise.all([startTestHub(store), startTestHub(store)])
  cleanup.push(() => a.close())
  cleanup.push(() => b.close())

  const key = await createDevice(a, 'roaming')
  const client = await openDevice(b, 'roaming', key)
  cleanup.push(() => client.close())
  await client.sendEvent(new device.Message('via b'))
  // Both hubs read one events log.
  await eventually(async () => ((await eventBodies(a, 'roaming')).length === 1 ? true : undefined), 5000, 'the telemetry sent through b, read through a')
  assert.deepEqual(await eventBodies(a, 'roaming'), ['via b'])
})

test('a hub whose PostgreSQL cannot be reached does not start, and says where it looked', async () => {
  await assert.rejects(startTestHub({ store: 'postgres://hub:secret@127.0.0.1:9/ledge' }), (err: Error) => {
    assert.match(err.message, /PostgreSQL at postgres:\/\/hub:\*\*\*@127\.0\.0\.1:9\/ledge: .*ECONNREFUSED/)
    return true
  })
})

test('a hub on PostgreSQL goes on when the server ends its connections (a restart, a failover)', async (t) => {
  if (!requireEnvironment(t, problem)) return
  const cleanup = cleanupStack(t)
  const store = { store: TEST_POSTGRES_URL, storeSchema: postgresSchemaFor(t) }
  const th = await startTestHub(store)
  cleanup.push(() => th.close())
  const key = await createDevice(th, 'survivor')
  const client = await openDevice(th, 'survivor', key)
  cleanup.push(() => client.close())
  await client.sendEvent(new device.Message('before'))
  await eventually(async () => ((await eventBodies(th, 'survivor')).length === 1 ? true : undefined), 5000, 'the first event')

  const ended = await postgresQuery<{ ended: boolean }>(
    'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1',
    [`ledge ${store.storeSchema}`],
  )
  assert.ok(ended.length > 0 && ended.every((r) => r.ended), 'the hub had connections, and the server ended them all')

  // The pool drops the ended connections and opens new ones: telemetry, the registry and twins carry on.
  await client.sendEvent(new device.Message('after'))
  await eventually(async () => ((await eventBodies(th, 'survivor')).length === 2 ? true : undefined), 10_000, 'the event sent after the server ended the connections')
  assert.deepEqual(await eventBodies(th, 'survivor'), ['before', 'after'])
  await reportedUpdate(client, { afterRestart: true })
  const twin = (await registryOf(th).getTwin('survivor')).responseBody
  assert.equal((twin.properties.reported as Record<string, unknown>).afterRestart, true)
})

/**
 * A TCP relay on a loopback port to the test server: `cut()` stops it (listener and every relayed connection), as a
 * database server going away does; `restore()` listens again on the same port.
 */
async function relayTo(target: URL): Promise<{ url: string; cut: () => Promise<void>; restore: () => Promise<void>; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((inbound) => {
    const outbound = connect(Number(target.port || 5432), target.hostname)
    for (const s of [inbound, outbound]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => s.destroy())
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const cut = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const s of sockets) s.destroy()
    await closed
  }
  const url = new URL(target)
  url.host = `127.0.0.1:${port}`
  return {
    url: url.toString(),
    cut,
    restore: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () => (server.listening ? cut() : Promise.resolve()),
  }
}

async function health(th: Parameters<typeof rest>[0]): Promise<{ status: number; body: { status: string; store: string } }> {
  const res = await fetch(`${th.url}/health`)
  return { status: res.status, body: (await res.json()) as { status: string; store: string } }
}

test('while its PostgreSQL is gone the hub says so on /health (503), and it carries on once the server is back', async (t) => {
  if (!requireEnvironment(t, problem)) return
  const cleanup = cleanupStack(t)
  const relay = await relayTo(new URL(TEST_POSTGRES_URL))
  cleanup.push(() => relay.close())
  const th = await startTestHub({ store: relay.url, storeSchema: postgresSchemaFor(t) })
  cleanup.push(() => th.close())
  assert.deepEqual((await health(th)).body.store, 'ok')
  const key = await createDevice(th, 'outage')

  await relay.cut()
  const down = await health(th)
  assert.equal(down.status, 503)
  assert.equal(down.body.status, 'unavailable')
  // The first ping may meet a pooled connection as it breaks; the next ones open new connections, refused.
  assert.match(down.body.store, /^PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/test does not answer: ./)
  await eventually(async () => ((await health(th)).body.store.includes('ECONNREFUSED') ? true : undefined), 5000, 'a refused connection on /health')
  const refused = await rest(th, 'GET', '/devices/outage')
  assert.ok(refused.status >= 500, `a registry read while the store is gone fails (${refused.status})`)

  await relay.restore()
  await eventually(async () => ((await health(th)).status === 200 ? true : undefined), 10_000, '/health to say ok again')
  const client = await openDevice(th, 'outage', key)
  cleanup.push(() => client.close())
  await client.sendEvent(new device.Message('back'))
  await eventually(async () => ((await eventBodies(th, 'outage')).length === 1 ? true : undefined), 5000, 'telemetry after the outage')
})
