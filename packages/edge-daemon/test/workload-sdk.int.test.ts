/**
 * The workload API against the UNMODIFIED Azure IoT device SDK: a child process runs `ModuleClient.fromEnvironment(Mqtt)`
 * with only the IOTEDGE_* environment; it gets its TLS trust bundle and SAS signatures from our socket, connects to a
 * real hub, sends an event and reports a twin property.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hmacSha256Base64 } from '@ledge/protocol'
import { silentLogger } from '@ledge/common'
import { privilegedPortProblem, requireEnvironment, startTestHub, testCaFiles } from '@ledge/testkit'
import { EdgeCa } from '../src/certs/edge-ca.js'
import { startWorkloadServer } from '../src/workload/sockets.js'
import { closeServer } from '../src/http/server-kit.js'
import { moduleEnv } from '../src/modules/env.js'
import { createEdgeDevice, eventually, rest, unixRequest } from './helpers.js'

const fixture = fileURLToPath(new URL('./fixtures/sdk-module.cjs', import.meta.url))

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fixture], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

test('ModuleClient.fromEnvironment(Mqtt) signs through the workload socket and reaches the hub', async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  await using th = await startTestHub()
  const dir = await mkdtemp(join(tmpdir(), 'ledge-wl-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const deviceId = 'edge-wl'
  await createEdgeDevice(th, deviceId)
  const created = await rest(th, 'PUT', `/devices/${deviceId}/modules/sensor`, { moduleId: 'sensor', deviceId, managedBy: 'IotEdge' })
  assert.equal(created.status, 200, JSON.stringify(created.body))
  const key: string = created.body.authentication.symmetricKey.primaryKey
  const generationId: string = created.body.generationId

  const ca = await EdgeCa.open({
    certsDir: join(dir, 'certs'), deviceId, configFile: 'test', log: silentLogger(),
    config: { expiryDays: 90, autoRenew: { rotateKey: true, thresholdPercent: 80, retryPercent: 4 } },
    // The hub's certificate is issued by the test CA: modules trust it through the trust bundle.
    trustBundleCertFile: testCaFiles().certFile,
  })
  const signed: string[] = []
  const identities = {
    credentials: async (moduleId: string) => {
      signed.push(moduleId)
      return { moduleId, managedBy: 'IotEdge', generationId, primaryKey: key }
    },
  }
  const socketPath = join(dir, 'mnt', 'sensor.sock')
  const server = await startWorkloadServer({ identities, ca }, 'sensor', { socketPath }, silentLogger())
  t.after(() => closeServer(server))
  assert.equal((await stat(socketPath)).mode & 0o777, 0o660)

  const env = moduleEnv(
    {
      iothubHostname: th.host, deviceId, edgeHostname: 'edge-wl.local', upstreamGateway: `${th.host}:${th.hub.mqttPort}`,
      moduleGateway: 'upstream', agentManagementUri: 'unix:///nowhere', agentStateDir: '/nowhere',
    },
    { moduleId: 'sensor', generationId, workloadSocket: socketPath, role: 'module' },
    {},
  )
  assert.equal(env.IOTEDGE_GATEWAYHOSTNAME, `${th.host}:${th.hub.mqttPort}`)
  // Only what a module on an edge device would have: no NODE_EXTRA_CA_CERTS, so TLS must verify with the trust bundle.
  const result = await run({ PATH: process.env.PATH ?? '', ...env })
  assert.equal(result.code, 0, result.output)
  assert.ok(signed.length > 0, 'the SDK asked the workload API to sign')

  const events = await eventually(async () => {
    const r = await rest(th, 'GET', `/events/messages?deviceId=${deviceId}&moduleId=sensor`)
    return r.body.events.length > 0 ? r.body.events : undefined
  }, 10_000, 'the module event')
  assert.deepEqual(events[0].body, { from: 'sensor', via: 'workload' })
  const twin = await rest(th, 'GET', `/twins/${deviceId}/modules/sensor`)
  assert.deepEqual(twin.body.properties.reported.workloadTest, { ok: true })
})

test('the workload API: trust bundle, signing rules, certificates, api-version, JSON replies', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-wl-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const key = Buffer.alloc(32, 3).toString('base64')
  const ca = await EdgeCa.open({
    certsDir: join(dir, 'certs'), deviceId: 'edge1', configFile: 'test', log: silentLogger(),
    config: { expiryDays: 30, autoRenew: { rotateKey: true, thresholdPercent: 80, retryPercent: 4 } },
  })
  const identities = { credentials: async (moduleId: string) => ({ moduleId, managedBy: 'IotEdge', generationId: 'gen-1', primaryKey: key }) }
  const socketPath = join(dir, 'm1.sock')
  const server = await startWorkloadServer({ identities, ca }, 'm1', { socketPath }, silentLogger())
  t.after(() => closeServer(server))
  const v = '?api-version=2018-06-28'

  const bundle = await unixRequest(socketPath, 'GET', `/trust-bundle${v}`)
  assert.equal(bundle.status, 200)
  assert.equal(bundle.headers['content-type'], 'application/json')
  assert.equal(bundle.json.certificate, ca.trustBundle())
  assert.match(bundle.json.certificate, /BEGIN CERTIFICATE/)

  const data = Buffer.from('hub%2Fdevices%2Fedge1%2Fmodules%2Fm1\n1795469393').toString('base64')
  const sign = await unixRequest(socketPath, 'POST', `/modules/m1/genid/gen-1/sign${v}`, { keyId: 'primary', algo: 'HMACSHA256', data })
  assert.equal(sign.status, 200)
  assert.equal(sign.headers['content-type'], 'application/json')
  assert.equal(sign.json.digest, hmacSha256Base64(key, Buffer.from(data, 'base64')))

  const other = await unixRequest(socketPath, 'POST', `/modules/m2/genid/gen-1/sign${v}`, { data })
  assert.equal(other.status, 403)
  assert.match(other.json.message, /belongs to module 'm1'/)
  const staleGen = await unixRequest(socketPath, 'POST', `/modules/m1/genid/gen-0/sign${v}`, { data })
  assert.equal(staleGen.status, 404)
  assert.equal((await unixRequest(socketPath, 'POST', `/modules/m1/genid/gen-1/sign${v}`, { data: 42 })).status, 400)
  const noVersion = await unixRequest(socketPath, 'GET', '/trust-bundle')
  assert.equal(noVersion.status, 400)
  assert.match(noVersion.json.message, /api-version/)
  assert.equal((await unixRequest(socketPath, 'GET', '/trust-bundle?api-version=1999-01-01')).status, 400)
  assert.equal((await unixRequest(socketPath, 'GET', `/nothing${v}`)).status, 404)

  const server201 = await unixRequest(socketPath, 'POST', `/modules/m1/genid/gen-1/certificate/server${v}`, { commonName: 'edge1.local' })
  assert.equal(server201.status, 201)
  assert.equal(server201.json.privateKey.type, 'key')
  assert.match(server201.json.privateKey.bytes, /BEGIN PRIVATE KEY/)
  const { describeCertificate } = await import('@ledge/pki')
  const leaf = describeCertificate(server201.json.certificate)
  assert.deepEqual(leaf.dnsNames.sort(), ['edge1.local', 'm1'])
  assert.equal(leaf.subject, 'CN=edge1.local')
  assert.equal(leaf.issuer, 'CN=Ledge Edge CA edge1')
  assert.ok(server201.json.certificate.includes(ca.certificate.trim()), 'the chain carries the edge CA')
  assert.equal((await unixRequest(socketPath, 'POST', `/modules/m1/genid/gen-1/certificate/server${v}`, {})).status, 400)

  const ident = await unixRequest(socketPath, 'POST', `/modules/m1/certificate/identity${v}`, {})
  assert.equal(ident.status, 201)
  assert.equal(describeCertificate(ident.json.certificate).subject, 'CN=m1')
  assert.equal((await unixRequest(socketPath, 'POST', `/modules/m2/certificate/identity${v}`, {})).status, 403)
})

test('at most 10 concurrent requests per workload socket', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-wl-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const identities = {
    credentials: async (moduleId: string) => {
      await gate
      return { moduleId, managedBy: 'IotEdge', generationId: 'g', primaryKey: Buffer.alloc(32).toString('base64') }
    },
  }
  const ca = { trustBundle: () => '', issueServerCertificate: async () => assert.fail(), issueIdentityCertificate: async () => assert.fail() }
  const socketPath = join(dir, 'm.sock')
  const server = await startWorkloadServer({ identities, ca }, 'm', { socketPath }, silentLogger())
  t.after(() => closeServer(server))
  const body = { data: Buffer.from('x').toString('base64') }
  const pending = Array.from({ length: 10 }, () => unixRequest(socketPath, 'POST', '/modules/m/genid/g/sign?api-version=2018-06-28', body))
  await new Promise((r) => setTimeout(r, 200))
  const eleventh = await unixRequest(socketPath, 'POST', '/modules/m/genid/g/sign?api-version=2018-06-28', body)
  assert.equal(eleventh.status, 429)
  release()
  for (const r of await Promise.all(pending)) assert.equal(r.status, 200)
})
