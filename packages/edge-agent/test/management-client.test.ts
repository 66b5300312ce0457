import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManagementClient, parseManagementUri } from '../src/management-client.js'

test('management URIs: unix sockets and plain http', () => {
  assert.deepEqual(parseManagementUri('unix:///var/run/ledge/mgmt.sock'), { socketPath: '/var/run/ledge/mgmt.sock' })
  assert.deepEqual(parseManagementUri('http://127.0.0.1:15580'), { host: '127.0.0.1', port: 15580 })
  assert.throws(() => parseManagementUri('https://x'), /unsupported management URI/)
})

test('paths, api-version and bodies of every call, over a Unix socket', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-mgmt-'))
  const seen: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const url = new URL(req.url!, 'http://localhost')
      seen.push(`${req.method} ${url.pathname} ${url.searchParams.get('api-version')}${body ? ` ${body}` : ''}`)
      const json = (status: number, v?: unknown) => {
        res.writeHead(status, v === undefined ? {} : { 'content-type': 'application/json' })
        res.end(v === undefined ? undefined : JSON.stringify(v))
      }
      if (req.method === 'GET' && url.pathname === '/modules') return json(200, { modules: [{ id: 'a', name: 'a', type: 'process', config: { settings: {}, env: [] }, status: { runtimeStatus: { status: 'running' } } }] })
      if (url.pathname === '/modules/missing') return json(404, { message: 'module missing not found' })
      if (req.method === 'POST' && url.pathname === '/identities/') return json(200, { moduleId: 'a', managedBy: 'IotEdge', generationId: 'g1', authType: 'Sas' })
      if (req.method === 'GET' && url.pathname === '/identities/') return json(200, { identities: [] })
      if (req.method === 'PUT' && url.pathname.startsWith('/identities/')) return json(200, { moduleId: 'a', managedBy: 'IotEdge', generationId: 'g1', authType: 'Sas' })
      if (url.pathname === '/systeminfo') return json(200, { osType: 'linux', architecture: 'x86_64', version: '0.1.0' })
      if (url.pathname === '/modules/broken/start') return json(500, { message: 'cannot start' })
      if (url.pathname.endsWith('/stop')) return json(304)
      json(req.method === 'POST' && url.pathname === '/modules' ? 201 : 204)
    })
  })
  const socket = join(dir, 'mgmt.sock')
  await new Promise<void>((r) => server.listen(socket, r))
  try {
    const c = new ManagementClient(`unix://${socket}`)
    assert.equal((await c.list())[0]!.name, 'a')
    assert.equal(await c.get('missing'), undefined)
    await c.create({ name: 'a', type: 'process', config: { settings: { command: 'x' }, env: [{ key: 'K', value: 'v' }] }, labels: { l: '1' } })
    await c.update({ name: 'a', type: 'process', config: { settings: { command: 'y' } }, labels: {} })
    await c.prepareUpdate({ name: 'b', type: 'docker', config: { settings: { image: 'b:2' } }, labels: {} })
    await c.start('a')
    await c.stop('a')
    await c.restart('a')
    await c.remove('a')
    await c.remove('missing')
    assert.equal((await c.createIdentity('a')).generationId, 'g1')
    assert.deepEqual(await c.listIdentities(), [])
    await c.updateIdentity('a')
    await c.deleteIdentity('a')
    assert.equal((await c.systemInfo()).osType, 'linux')
    await assert.rejects(c.start('broken'), (err: Error & { code?: string; kind?: string }) => err.code === 'ERR_MANAGEMENT_API' && err.kind === 'internal' && /start module broken: 500 cannot start/.test(err.message))
    const v = '2022-08-03'
    assert.deepEqual(seen, [
      `GET /modules ${v}`,
      `GET /modules/missing ${v}`,
      `POST /modules ${v} {"name":"a","type":"process","config":{"settings":{"command":"x"},"env":[{"key":"K","value":"v"}]},"labels":{"l":"1"}}`,
      `PUT /modules/a ${v} {"name":"a","type":"process","config":{"settings":{"command":"y"}},"labels":{}}`,
      `POST /modules/b/prepareupdate ${v} {"name":"b","type":"docker","config":{"settings":{"image":"b:2"}},"labels":{}}`,
      `POST /modules/a/start ${v}`,
      `POST /modules/a/stop ${v}`,
      `POST /modules/a/restart ${v}`,
      `DELETE /modules/a ${v}`,
      `DELETE /modules/missing ${v}`,
      `POST /identities/ ${v} {"moduleId":"a","managedBy":"IotEdge"}`,
      `GET /identities/ ${v}`,
      `PUT /identities/a ${v} {"moduleId":"a","managedBy":"IotEdge"}`,
      `DELETE /identities/a ${v}`,
      `GET /systeminfo ${v}`,
      `POST /modules/broken/start ${v}`,
    ])
  } finally {
    await new Promise((r) => server.close(r))
    await rm(dir, { recursive: true, force: true })
  }
  const down = new ManagementClient(`unix://${join(dir, 'gone.sock')}`)
  await assert.rejects(down.list(), (err: Error & { code?: string }) => err.code === 'ERR_DAEMON_UNREACHABLE')
})
