/**
 * Images against a real engine: imagePullPolicy (`on-create` pulls, falling back to a local image when the registry
 * fails; `never` needs the image present), registry credentials reaching the registry (a loopback registry that asks
 * for Basic auth and records what it gets), `prepare` (pull ahead, WaitForAllPulls), clean-up of unused images, and
 * the engine's version.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hasCode } from '@ledge/module-runtime/testing'
import { requireEnvironment } from '@ledge/testkit'
import { connect } from '../src/index.js'
import { behaviourModule, buildNodeImage, dockerProblem, TEST_DOCKER_URI, testRuntime } from '../src/testing/index.js'

const problem = await dockerProblem()
const docker = connect(TEST_DOCKER_URI)
const image = problem ? '' : await buildNodeImage(docker, { name: 'node' })

const engine = (t: TestContext) => requireEnvironment(t, problem)

/** A registry on 127.0.0.1 that wants Basic auth and has no images: it records each request's path and credentials. */
async function fakeRegistry(t: TestContext): Promise<{ host: string; requests: { path: string; auth?: string }[] }> {
  const requests: { path: string; auth?: string }[] = []
  const server = createServer((req: IncomingMessage, res) => {
    requests.push({ path: req.url ?? '', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) })
    res.setHeader('content-type', 'application/json')
    res.setHeader('docker-distribution-api-version', 'registry/2.0')
    if (!req.headers.authorization) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="ledge-test"' })
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }))
    } else if (req.url === '/v2/') res.end('{}')
    else {
      res.writeHead(404)
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

test('imagePullPolicy on-create: credentials reach the registry; a failed pull uses the local image, or fails clearly', { timeout: 60_000 }, async (t) => {
  if (!engine(t)) return
  const registry = await fakeRegistry(t)
  await using rt = await testRuntime()
  const auth = { username: 'puller', password: 's3cret', serveraddress: registry.host }
  const local = `${registry.host}/ledge-test/node:local`
  await docker.getImage(image).tag({ repo: `${registry.host}/ledge-test/node`, tag: 'local' })
  t.after(() => docker.getImage(local).remove().catch(() => undefined))

  const present = { ...behaviourModule(image, 'present', { kind: 'sleep' }), imagePullPolicy: 'on-create' as const }
  present.settings = { ...present.settings, image: local, auth }
  await rt.runtime.create(present)
  const basic = `Basic ${Buffer.from('puller:s3cret').toString('base64')}`
  assert.ok(registry.requests.some((r) => r.path.startsWith('/v2/ledge-test/node/manifests/local') && r.auth === basic), JSON.stringify(registry.requests))
  const state = await rt.runtime.get('present')
  assert.equal(state?.status, 'created', 'the pull failed, the local image was used')
  assert.equal(state.config.settings.auth, undefined, 'credentials are not kept with the module')
  const labels = (await docker.getContainer(`${rt.options.containerNamePrefix}present`).inspect()).Config.Labels
  assert.ok(!JSON.stringify(labels).includes('s3cret'), 'no label carries the password')

  const absent = { ...present, name: 'absent', settings: { ...present.settings, image: `${registry.host}/ledge-test/none:1` } }
  await assert.rejects(rt.runtime.create(absent), (err: Error & { code?: string; kind?: string }) => {
    assert.equal(err.code, 'ERR_IMAGE_PULL_FAILED')
    assert.equal(err.kind, 'unavailable')
    assert.match(err.message, /module 'absent': settings.image '127\.0\.0\.1:\d+\/ledge-test\/none:1' could not be pulled/)
    return true
  })
  assert.equal(await rt.runtime.get('absent'), undefined)
})

test("imagePullPolicy never: no pull; an absent image is ERR_MODULE_INVALID naming settings.image", { timeout: 60_000 }, async (t) => {
  if (!engine(t)) return
  const registry = await fakeRegistry(t)
  await using rt = await testRuntime()
  const config = behaviourModule(image, 'never', { kind: 'sleep' })
  await rt.runtime.create(config)
  const absent = { ...config, name: 'absent', settings: { ...config.settings, image: `${registry.host}/ledge-test/none:1` } }
  await assert.rejects(rt.runtime.create(absent), hasCode('ERR_MODULE_INVALID', 'settings.image'))
  assert.deepEqual(registry.requests, [], 'never means never')
})

test('prepare pulls ahead without touching any container (WaitForAllPulls)', { timeout: 60_000 }, async (t) => {
  if (!engine(t)) return
  const registry = await fakeRegistry(t)
  await using rt = await testRuntime()
  await rt.runtime.create(behaviourModule(image, 'running', { kind: 'sleep' }))
  await rt.runtime.start('running')
  const before = await rt.runtime.list()
  const next = { ...behaviourModule(image, 'running', { kind: 'sleep' }), imagePullPolicy: 'on-create' as const }
  next.settings = { ...next.settings, image: `${registry.host}/ledge-test/next:2` }
  await assert.rejects(rt.runtime.prepare(next), hasCode('ERR_IMAGE_PULL_FAILED'))
  assert.ok(registry.requests.some((r) => r.path.startsWith('/v2/')), 'the engine went to the registry')
  await rt.runtime.prepare({ ...next, settings: { ...next.settings, image }, imagePullPolicy: 'never' })
  await assert.rejects(rt.runtime.prepare({ ...next, settings: { image: '' } }), hasCode('ERR_MODULE_INVALID', 'settings.image'))
  assert.deepEqual(await rt.runtime.list(), before, 'the running module was not touched')
})

test('image clean-up: an image no module uses goes once it has been unused for minAgeMs', { timeout: 120_000 }, async (t) => {
  if (!engine(t)) return
  const throwaway = await buildNodeImage(docker, { name: 'gc', files: { '/gc-marker': `${process.pid}-${Date.now()}` } })
  t.after(() => docker.getImage(throwaway).remove({ force: true }).catch(() => undefined))
  await using rt = await testRuntime()
  const id = (await docker.getImage(throwaway).inspect()).Id
  await rt.runtime.create(behaviourModule(throwaway, 'user', { kind: 'sleep' }))

  assert.deepEqual(await rt.runtime.collectImages({ minAgeMs: 0 }), { removed: [], kept: [id] }, 'in use by a container')
  await rt.runtime.remove('user')
  assert.deepEqual(await rt.runtime.collectImages({ minAgeMs: 60_000 }), { removed: [], kept: [id] }, 'used too recently')
  assert.deepEqual(await rt.runtime.collectImages({ minAgeMs: 0 }), { removed: [id], kept: [] })
  await assert.rejects(docker.getImage(id).inspect(), (err: { statusCode?: number }) => err.statusCode === 404)
  assert.ok((await docker.getImage(image).inspect()).Id, 'images this runtime never used are not its business')
})

test('the engine: version; an unreachable engine is ERR_RUNTIME_UNAVAILABLE', { timeout: 30_000 }, async (t) => {
  if (!engine(t)) return
  await using rt = await testRuntime()
  const info = await rt.runtime.engine()
  assert.match(info.version, /^\d+\.\d+/)
  assert.match(info.apiVersion, /^1\.\d+$/)
  const { DockerModuleRuntime } = await import('../src/index.js')
  await assert.rejects(DockerModuleRuntime.open({ uri: 'unix:///nonexistent/docker.sock' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_RUNTIME_UNAVAILABLE')
    assert.match(err.message, /the Docker engine at unix:\/\/\/nonexistent\/docker.sock is not reachable/)
    return true
  })
})
