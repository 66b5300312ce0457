/**
 * Issue 6 end to end: a real hub, `ledge edge start` with `[moby_runtime]` (network "host": the hub listens on a
 * loopback address of its own), the real edge agent, and a deployment of docker modules built locally. A module
 * written with the unmodified azure-iot-device `ModuleClient.fromEnvironment(Mqtt)` runs in its container, gets its
 * trust bundle and signatures through the workload socket mounted into it, and its messages reach the hub; `ledge
 * logs` shows its output; a module whose HEALTHCHECK turns unhealthy is restarted under `on-unhealthy`; an update
 * recreates the container; a bad createOptions is reported and changes nothing else; removal removes the container.
 *
 * The edge hub does not exist yet (issue 4): `edgeHub` is an idle placeholder process, and modules reach the cloud
 * hub directly (`module_gateway = "upstream"`: the deployment's edgeHub is an idle placeholder here).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { edgeDeployment, privilegedPortProblem, requireEnvironment, runLedge, spawnLedge, startTestHub, type TestHub } from '@ledge/testkit'
import { createEdgeDevice, eventually, rest } from '../../edge-daemon/test/helpers.js'
import { connect } from '../src/index.js'
import { buildNodeImage, bundle, dockerProblem, TEST_DOCKER_URI, writeDockerEdgeConfig } from '../src/testing/index.js'

const SDK_MODULE = fileURLToPath(new URL('../src/testing/fixtures/sdk-module.cjs', import.meta.url))
const IDLE = ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1 << 30)"]
const NAMES = ['dsensor', 'dprobe', 'dbad']
const docker = connect(TEST_DOCKER_URI)

type Reported = { lastDesiredStatus?: { code: number; description?: string }; modules?: Record<string, { runtimeStatus: string; restartCount?: number; statusDescription?: string }> }

function deployment(modules: Record<string, unknown>): unknown {
  return edgeDeployment({
    runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25' } },
    edgeAgent: { type: 'process', settings: { command: process.execPath } },
    edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: process.execPath, args: IDLE } },
    modules,
  })
}

async function removeTestContainers(): Promise<void> {
  for (const name of NAMES) await docker.getContainer(name).remove({ force: true }).catch(() => undefined)
}

async function containerId(name: string): Promise<string | undefined> {
  return docker.getContainer(name).inspect().then((i) => i.Id, () => undefined)
}

test('a deployment of docker modules: SDK module reaches the hub, logs, on-unhealthy, update, bad createOptions, removal', { timeout: 300_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  if (!requireEnvironment(t, await dockerProblem())) return
  const [sdkImage, healthImage] = await Promise.all([
    bundle(SDK_MODULE).then((code) => buildNodeImage(docker, { name: 'sdk-module', files: { '/app/module.js': code } })),
    buildNodeImage(docker, {
      name: 'node-health',
      dockerfile: [`HEALTHCHECK --interval=1s --timeout=5s --retries=1 CMD ["/usr/bin/node", "-e", "process.exit(require('fs').existsSync('/tmp/healthy') ? 0 : 1)"]`],
    }),
  ])
  await removeTestContainers()
  t.after(removeTestContainers)

  const dir = await mkdtemp(join(tmpdir(), 'ledge-docker-e2e-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const th: TestHub = await startTestHub()
  t.after(() => th.close())
  const deviceId = 'EdgeDocker'
  const key = await createEdgeDevice(th, deviceId)
  const { config, home } = await writeDockerEdgeConfig({ th, dir, deviceId, key, moduleGateway: 'upstream', hostNetwork: true })

  const log: string[] = []
  const { child: daemon, exited } = spawnLedge(['edge', 'start', '--config', config], log)
  t.after(() => daemon.kill('SIGKILL'))
  const reported = async () => (await rest(th, 'GET', `/twins/${deviceId}/modules/${encodeURIComponent('$edgeAgent')}`)).body.properties.reported as Reported

  const sensor = (greeting: string) => ({
    type: 'docker', status: 'running', restartPolicy: 'always', imagePullPolicy: 'never',
    settings: { image: sdkImage, createOptions: JSON.stringify({ Cmd: ['/app/module.js'], HostConfig: { Init: true } }) },
    env: { GREETING: { value: greeting } },
  })
  const sick = `const fs = require('fs'); fs.writeFileSync('/tmp/healthy', ''); console.log('probe started');
    setTimeout(() => fs.unlinkSync('/tmp/healthy'), 2000); process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1 << 30)`
  const probe = {
    type: 'docker', status: 'running', restartPolicy: 'on-unhealthy', imagePullPolicy: 'never',
    settings: { image: healthImage, createOptions: JSON.stringify({ Cmd: ['-e', sick], HostConfig: { Init: true } }) },
  }
  try {
    // 1. The deployment starts both containers; the SDK module connects through the workload socket and sends.
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment({ dsensor: sensor('v1'), dprobe: probe }))).status, 204)
    await eventually(async () => ((await reported()).modules?.dsensor?.runtimeStatus === 'running' ? true : undefined), 90_000, 'the agent to report dsensor running')
    const events = await eventually(async () => {
      const r = await rest(th, 'GET', `/events/messages?deviceId=${deviceId}&moduleId=dsensor`)
      return r.body.events.length >= 2 ? r.body.events : undefined
    }, 60_000, 'dsensor telemetry in the hub')
    assert.equal(events[0].systemProperties.outputName, 'out')
    assert.equal(JSON.parse(typeof events[0].body === 'string' ? events[0].body : JSON.stringify(events[0].body)).greeting, 'v1')
    const twin = await rest(th, 'GET', `/twins/${deviceId}/modules/dsensor`)
    assert.deepEqual(twin.body.properties.reported.container, { greeting: 'v1' })
    const firstId = await containerId('dsensor')
    assert.ok(firstId, 'the container is named after the module')

    // 2. `ledge logs` shows what the module printed.
    const logs = await runLedge(['logs', 'dsensor', '-H', `unix://${join(home, 'mgmt.sock')}`])
    assert.equal(logs.code, 0, logs.out)
    assert.match(logs.out, /connected as dsensor/)

    // 3. dprobe's HEALTHCHECK fails after 2 s: under on-unhealthy the agent restarts it (first back-off 10 s).
    const restarted = await eventually(async () => {
      const m = (await reported()).modules?.dprobe
      return (m?.restartCount ?? 0) >= 1 ? m : undefined
    }, 90_000, 'the unhealthy module to be restarted')
    assert.ok(restarted)

    // 4. An update (new env) recreates dsensor; a module with bad createOptions is refused and changes nothing else.
    const badOptions = { ...sensor('bad'), settings: { image: sdkImage, createOptions: JSON.stringify({ HostConfig: { Binds: ['relative/path:/data'] } }) } }
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment({ dsensor: sensor('v2'), dprobe: probe, dbad: badOptions }))).status, 204)
    await eventually(async () => {
      const tw = await rest(th, 'GET', `/twins/${deviceId}/modules/dsensor`)
      return tw.body.properties.reported.container?.greeting === 'v2' ? true : undefined
    }, 90_000, 'the updated dsensor to report v2')
    const secondId = await containerId('dsensor')
    assert.ok(secondId && secondId !== firstId, 'the update recreated the container')
    const r = await eventually(async () => {
      const rep = await reported()
      return rep.lastDesiredStatus && rep.lastDesiredStatus.code !== 200 ? rep : undefined
    }, 60_000, 'the agent to report the bad module')
    assert.match(JSON.stringify(r), /dbad/)
    assert.equal(await containerId('dbad'), undefined, 'no container for the bad module')
    assert.equal(await containerId('dsensor'), secondId)

    // 5. A deployment without dsensor removes its container.
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment({ dprobe: probe }))).status, 204)
    await eventually(async () => ((await containerId('dsensor')) === undefined ? true : undefined), 60_000, 'the dsensor container to be removed')

    daemon.kill('SIGTERM')
    assert.equal(await exited, 0)
  } catch (err) {
    console.error(log.join('').split('\n').slice(-60).join('\n'))
    throw err
  }
})
