/**
 * What the docker runtime adds to the contract, against a real engine: the container a manifest's module becomes
 * (split createOptions, env, Azure's labels, the workload socket mounted where IOTEDGE_WORKLOADURI says, the user
 * network with the edge hub's alias), an update (remove + create, as the daemon does) that recreates it, crashes seen
 * with their exit codes and events, a HEALTHCHECK going unhealthy, removal, TTY logs, and bad createOptions refused
 * with nothing else changed.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ModuleEvent } from '@ledge/module-runtime'
import { hasCode, logTexts, waitForLog, waitForStatus, waitUntil } from '@ledge/module-runtime/testing'
import { requireEnvironment } from '@ledge/testkit'
import { connect, LABELS } from '../src/index.js'
import { behaviourModule, buildNodeImage, dockerProblem, programModule, TEST_DOCKER_URI, testRuntime } from '../src/testing/index.js'

const problem = await dockerProblem()
const docker = connect(TEST_DOCKER_URI)
const image = problem ? '' : await buildNodeImage(docker, { name: 'node' })

async function engine(t: TestContext): Promise<boolean> {
  return requireEnvironment(t, problem)
}

test('a manifest module: split createOptions, env, labels, the workload socket and the network', { timeout: 120_000 }, async (t) => {
  if (!(await engine(t))) return
  const dir = await mkdtemp(join(tmpdir(), 'ledge-docker-wl-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const socketPath = join(dir, 'sensor.sock')
  const server = createServer((req, res) => res.end(`pong ${req.url}`))
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const network = `ledge-test-net-${process.pid}-${Date.now()}`
  await using rt = await testRuntime({ network, hostname: 'edge-host.local' })
  t.after(() => docker.getNetwork(network).remove().catch(() => undefined))

  const program = `const http = require('http');
    http.get({ socketPath: process.env.IOTEDGE_WORKLOADURI.slice('unix://'.length), path: '/trust-bundle' }, (r) => {
      let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => { console.log('workload: ' + b); console.log('FROM_OPTIONS=' + process.env.FROM_OPTIONS + ' BOTH=' + process.env.BOTH) })
    }).on('error', (e) => { console.error(e.message); process.exit(3) })`
  const whole = JSON.stringify({ HostConfig: { Init: true }, Env: ['FROM_OPTIONS=yes', 'BOTH=options'], Labels: { custom: 'label' }, Cmd: ['-e', program], StopTimeout: 3 })
  // Azure splits createOptions longer than 512 characters into createOptions01…: the runtime joins them back.
  const settings = { image, createOptions: whole.slice(0, 100), createOptions01: whole.slice(100, 200), createOptions02: whole.slice(200) }
  const env = { BOTH: 'module', IOTEDGE_WORKLOADURI: `unix://${socketPath}`, IOTEDGE_MODULEID: 'edgeHub' }
  const config = { name: 'edgeHub', type: 'docker', imagePullPolicy: 'never' as const, settings, env, labels: { 'net.ledge.edge.version': '1.2' } }
  await rt.runtime.create(config)
  assert.deepEqual((await rt.runtime.get('edgeHub'))?.config, config)
  await rt.runtime.start('edgeHub')
  await waitForStatus(rt.runtime, 'edgeHub', 'stopped')
  assert.deepEqual(await logTexts(rt.runtime, 'edgeHub'), ['workload: pong /trust-bundle', 'FROM_OPTIONS=yes BOTH=module'])

  const info = await docker.getContainer(`${rt.options.containerNamePrefix}edgeHub`).inspect()
  const labels = info.Config.Labels
  assert.equal(labels[LABELS.owner], 'Microsoft.Azure.Devices.Edge.Agent')
  assert.equal(labels[LABELS.version], '1.2')
  assert.equal(labels[LABELS.createOptions], whole)
  assert.deepEqual(JSON.parse(labels[LABELS.env]!), { BOTH: { value: 'module' } }, 'the deployment env, without the IOTEDGE_* the daemon adds')
  assert.equal(labels.custom, 'label')
  assert.equal((info.Config as { StopTimeout?: number }).StopTimeout, 3)
  assert.ok(info.Mounts.some((m) => m.Type === 'bind' && m.Source === socketPath && m.Destination === socketPath))
  assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [network])
  assert.ok(info.NetworkSettings.Networks[network]!.Aliases?.includes('edge-host.local'), 'the edge hub answers to the device host name')
})

test('an update recreates the container; a crash is seen with its exit code, and the module can be started again', { timeout: 120_000 }, async (t) => {
  if (!(await engine(t))) return
  await using rt = await testRuntime()
  const events: ModuleEvent[] = []
  rt.runtime.onEvent((e) => events.push(e))
  const v1 = { ...programModule(image, 'sensor', `console.log('v' + process.env.V); setTimeout(() => process.exit(Number(process.env.CODE)), 200)`, { env: { V: '1', CODE: '0' } }), labels: { hash: 'a' } }
  await rt.runtime.create(v1)
  await rt.runtime.start('sensor')
  await waitForStatus(rt.runtime, 'sensor', 'stopped')
  const firstId = (await docker.getContainer(`${rt.options.containerNamePrefix}sensor`).inspect()).Id

  // The daemon's update: remove, then create with the new config (Azure: the agent recreates the container).
  const v2 = { ...v1, env: { V: '2', CODE: '7' }, labels: { hash: 'b' } }
  await rt.runtime.remove('sensor')
  await rt.runtime.create(v2)
  const second = await docker.getContainer(`${rt.options.containerNamePrefix}sensor`).inspect()
  assert.notEqual(second.Id, firstId)
  assert.equal(second.Config.Labels.hash, 'b')
  assert.deepEqual((await rt.runtime.get('sensor'))?.config, v2)

  for (let run = 1; run <= 3; run++) {
    await rt.runtime.start('sensor')
    const s = await waitForStatus(rt.runtime, 'sensor', 'failed')
    assert.equal(s.exitCode, 7)
    assert.match(s.description!, /exited with code 7/)
    await waitUntil(`exit event ${run}`, () => (events.filter((e) => e.name === 'sensor' && e.status === 'failed').length === run ? true : undefined))
  }
  assert.deepEqual(events.filter((e) => e.name === 'sensor').map((e) => e.status), ['running', 'stopped', 'running', 'failed', 'running', 'failed', 'running', 'failed'])
  assert.deepEqual(events.filter((e) => e.status === 'failed').map((e) => e.exitCode), [7, 7, 7])
  assert.deepEqual(await logTexts(rt.runtime, 'sensor'), ['v2', 'v2', 'v2'], 'the old container and its logs went with the update')
})

test("the image's HEALTHCHECK: healthy, then unhealthy, with an event and a description", { timeout: 120_000 }, async (t) => {
  if (!(await engine(t))) return
  const healthImage = await buildNodeImage(docker, {
    name: 'node-health',
    dockerfile: [`HEALTHCHECK --interval=1s --timeout=5s --retries=1 CMD ["/usr/bin/node", "-e", "process.exit(require('fs').existsSync('/tmp/healthy') ? 0 : 1)"]`],
  })
  await using rt = await testRuntime()
  const events: ModuleEvent[] = []
  rt.runtime.onEvent((e) => events.push(e))
  const program = `const fs = require('fs'); fs.writeFileSync('/tmp/healthy', ''); console.log('healthy');
    setTimeout(() => { fs.unlinkSync('/tmp/healthy'); console.log('sick') }, 3000); setInterval(() => {}, 1 << 30)`
  await rt.runtime.create(programModule(healthImage, 'probe', program))
  assert.equal((await rt.runtime.get('probe'))?.health, 'none', 'no health before the first start')
  await rt.runtime.start('probe')
  await waitUntil('healthy', async () => ((await rt.runtime.get('probe'))?.health === 'healthy' ? true : undefined))
  const sick = await waitUntil('unhealthy', async () => {
    const s = await rt.runtime.get('probe')
    return s?.health === 'unhealthy' ? s : undefined
  })
  assert.equal(sick.status, 'running', 'unhealthy is a health, the container still runs: the agent restarts it under on-unhealthy')
  assert.match(sick.description!, /unhealthy: the health check exited with 1/)
  // The events come over the engine's event stream, which may trail the inspect that saw the health change.
  await waitUntil('the start, healthy and unhealthy events', () =>
    events.filter((e) => e.name === 'probe' && e.status === 'running').length >= 3 ? true : undefined,
  )
  await rt.runtime.restart('probe')
  const again = await rt.runtime.get('probe')
  assert.equal(again?.status, 'running')
  assert.notEqual(again.health, 'unhealthy', 'a restart starts the health over')
})

test('removal stops and removes the container', { timeout: 60_000 }, async (t) => {
  if (!(await engine(t))) return
  await using rt = await testRuntime()
  await rt.runtime.create(behaviourModule(image, 'gone', { kind: 'sleep' }))
  await rt.runtime.start('gone')
  await rt.runtime.remove('gone')
  await assert.rejects(docker.getContainer(`${rt.options.containerNamePrefix}gone`).inspect(), (err: { statusCode?: number }) => err.statusCode === 404)
  assert.equal(await rt.runtime.get('gone'), undefined)
})

test('logs: a TTY container (raw stream), and a line longer than the engine buffer comes back whole', { timeout: 60_000 }, async (t) => {
  if (!(await engine(t))) return
  await using rt = await testRuntime()
  const long = 'x'.repeat(40_000)
  await rt.runtime.create(programModule(image, 'tty', `console.log('on a tty: ' + process.stdout.isTTY); console.error('err too')`, { createOptions: { Tty: true } }))
  await rt.runtime.create(programModule(image, 'long', `process.stdout.write('x'.repeat(40000) + '\\n' + 'after\\n')`))
  await rt.runtime.start('tty')
  await rt.runtime.start('long')
  await waitForStatus(rt.runtime, 'tty', 'stopped')
  await waitForStatus(rt.runtime, 'long', 'stopped')
  assert.deepEqual(await logTexts(rt.runtime, 'tty'), ['on a tty: true', 'err too'])
  assert.deepEqual(await logTexts(rt.runtime, 'long'), [long, 'after'])
})

test('bad createOptions: ERR_MODULE_INVALID naming the setting, and nothing else changes', { timeout: 60_000 }, async (t) => {
  if (!(await engine(t))) return
  await using rt = await testRuntime()
  await rt.runtime.create(behaviourModule(image, 'keeper', { kind: 'print', lines: ['still here'], thenSleep: true }))
  await rt.runtime.start('keeper')
  await waitForLog(rt.runtime, 'keeper', 'still here')
  const before = await rt.runtime.list()
  const containersBefore = (await docker.listContainers({ all: true })).map((c) => c.Id).sort()

  const bad = (createOptions: string) => ({ ...behaviourModule(image, 'bad', { kind: 'sleep' }), settings: { image, createOptions } })
  const cases: [string, string, RegExp][] = [
    ['{"HostConfig": {"PortBindings": "8080"}}', 'settings.createOptions.HostConfig.PortBindings', /must be an object/],
    ['{"Env": "A=1"}', 'settings.createOptions.Env', /array of "NAME=value" strings/],
    ['{"HostConfig": {"Binds": ["relative/path:/data"]}}', 'settings.createOptions', /refused by the Docker engine/],
    ['{"Cmd": ["a"', 'settings.createOptions', /is not valid JSON/],
  ]
  for (const [createOptions, setting, why] of cases) {
    const err = await rt.runtime.create(bad(createOptions)).then(() => undefined, (e: Error) => e)
    assert.ok(err, `${createOptions} was accepted`)
    assert.ok(hasCode('ERR_MODULE_INVALID', setting)(err))
    assert.match(err.message, why)
    assert.match(err.message, /module 'bad' cannot be run/)
  }
  assert.deepEqual(await rt.runtime.list(), before)
  assert.deepEqual((await docker.listContainers({ all: true })).map((c) => c.Id).sort(), containersBefore)
})
