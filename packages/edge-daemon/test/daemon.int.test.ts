/**
 * The daemon composed, against a real hub (identities are created in it AS THE DEVICE) and a fake module runtime:
 * provisioning, file modes, the watchdog keeping the agent running, the management API on its two sockets, and the
 * removal of every module when the device changes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@ledge/common'
import { privilegedPortProblem, requireEnvironment, startTestHub, type TestHub } from '@ledge/testkit'
import type { DaemonConfig } from '../src/config/load.js'
import { startDaemon, type RunningDaemon } from '../src/daemon.js'
import { FakeModuleRuntime } from './fake-runtime.js'
import { createEdgeDevice, eventually, rest, unixRequest, writeDaemonConfig } from './helpers.js'

const V = 'api-version=2022-08-03'
const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777

function configFor(th: TestHub, home: string, deviceId: string, key: string): Promise<DaemonConfig> {
  return writeDaemonConfig(th, home, `
hostname = "edge-test"
[provisioning]
source = "manual"
connection_string = "HostName=${th.host};DeviceId=${deviceId};SharedAccessKey=${key}"
[agent.config]
command = "node"
args = ["agent.js"]
[agent.env]
RuntimeLogLevel = "debug"`)
}

test('the edge daemon against a real hub', async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  await using th = await startTestHub()
  const home = await mkdtemp(join(tmpdir(), 'ledge-edge-'))
  t.after(() => rm(home, { recursive: true, force: true }))
  const key = await createEdgeDevice(th, 'edge-1')
  const config = await configFor(th, home, 'edge-1', key)
  const runtime = new FakeModuleRuntime()
  let daemon: RunningDaemon | undefined = await startDaemon(config, { log: silentLogger(), runtimes: [runtime] })
  t.after(() => daemon?.close())
  const pub = config.ledge.managementSocket
  const agentSock = config.ledge.agentManagementSocket

  await t.test('the device key and sockets have their modes', async () => {
    assert.equal(await mode(join(home, 'keys')), 0o700)
    assert.equal(await mode(join(home, 'keys', 'device.key')), 0o600)
    assert.equal((await readFile(join(home, 'keys', 'device.key'), 'utf8')).trim(), key)
    assert.equal(await mode(pub), 0o660)
    assert.equal(await mode(agentSock), 0o600)
    assert.equal(await mode(join(home, 'private')), 0o700)
    const state = JSON.parse(await readFile(join(home, 'provisioning_state.json'), 'utf8'))
    assert.equal(state.deviceId, 'edge-1')
    assert.equal(state.iothubHostname, th.host)
  })

  await t.test('the watchdog creates and starts the agent with its environment', async () => {
    const agent = await eventually(() => (runtime.modules.get('edgeAgent')?.status === 'running' ? runtime.modules.get('edgeAgent') : undefined), 10_000, 'the agent')
    const hubAgent = await rest(th, 'GET', '/devices/edge-1/modules/$edgeAgent')
    const env = agent.config.env
    assert.equal(env.IOTEDGE_MODULEID, '$edgeAgent')
    assert.equal(env.IOTEDGE_MODULEGENERATIONID, hubAgent.body.generationId)
    assert.equal(env.IOTEDGE_DEVICEID, 'edge-1')
    assert.equal(env.IOTEDGE_IOTHUBHOSTNAME, th.host)
    assert.equal(env.IOTEDGE_AUTHSCHEME, 'sasToken')
    assert.equal(env.IOTEDGE_APIVERSION, '2022-08-03')
    assert.equal(env.IOTEDGE_WORKLOADURI, `unix://${join(home, 'mnt', 'edgeAgent', 'workload.sock')}`)
    assert.equal(env.IOTEDGE_MANAGEMENTURI, `unix://${agentSock}`)
    assert.equal(env.IOTEDGE_GATEWAYHOSTNAME, `${th.host}:${th.hub.mqttPort}`)
    assert.equal(env.EdgeDeviceHostName, 'edge-test')
    assert.equal(env.Mode, 'iotedged')
    assert.equal(env.LEDGE_AGENT_STATE_DIR, join(home, 'agent'))
    assert.equal(env.RuntimeLogLevel, 'debug')
    assert.deepEqual(agent.config.settings, { command: 'node', args: ['agent.js'] })
    assert.equal(await mode(join(home, 'mnt', 'edgeAgent', 'workload.sock')), 0o660)
  })

  await t.test('an agent that exits is started again', async () => {
    const starts = (): number => runtime.calls.filter((c) => c === 'start edgeAgent').length
    const before = starts()
    runtime.exit('edgeAgent', 1)
    await eventually(() => (starts() > before && runtime.modules.get('edgeAgent')?.status === 'running' ? true : undefined), 10_000, 'the restart')
  })

  await t.test('management API: the public socket lists, the agent socket creates', async () => {
    const list = await unixRequest(pub, 'GET', `/modules?${V}`)
    assert.equal(list.status, 200)
    assert.equal(list.headers['content-type'], 'application/json')
    assert.deepEqual(list.json.modules.map((m: { name: string }) => m.name), ['edgeAgent'])
    assert.equal(list.json.modules[0].status.runtimeStatus.status, 'running')
    assert.deepEqual(list.json.modules[0].config.env, [{ key: 'RuntimeLogLevel', value: 'debug' }])

    const spec = { name: 'sensor', type: 'process', labels: { 'net.azure-devices.edge.version': '3' }, config: { settings: { command: 'node', args: ['s.js'] }, env: [{ key: 'A', value: '1' }] } }
    const refused = await unixRequest(pub, 'POST', `/modules?${V}`, spec)
    assert.equal(refused.status, 403)
    assert.match(refused.json.message, /only the edge agent/)

    const created = await unixRequest(agentSock, 'POST', `/modules?${V}`, spec)
    assert.equal(created.status, 201, created.text)
    assert.equal(created.json.name, 'sensor')
    assert.deepEqual(created.json.config.env, [{ key: 'A', value: '1' }])
    assert.deepEqual(created.json.labels, { 'net.azure-devices.edge.owner': 'Microsoft.Azure.Devices.Edge.Agent', 'net.azure-devices.edge.version': '3' })
    assert.equal(created.json.status.health, undefined)
    assert.equal(created.json.status.runtimeStatus.status, 'stopped')
    const hubModule = await rest(th, 'GET', '/devices/edge-1/modules/sensor')
    assert.equal(hubModule.status, 200, 'the identity was created in the hub')
    assert.equal(hubModule.body.managedBy, 'IotEdge')
    const env = runtime.modules.get('sensor')!.config.env
    assert.equal(env.IOTEDGE_MODULEID, 'sensor')
    assert.equal(env.IOTEDGE_MODULEGENERATIONID, hubModule.body.generationId)
    // A custom module talks to the edge hub (module_gateway defaults to edge_hub); the agent, above, to the hub.
    assert.equal(env.IOTEDGE_GATEWAYHOSTNAME, 'edge-test')
    assert.equal(env.A, '1')
    assert.equal(env.IOTEDGE_MANAGEMENTURI, undefined)
    assert.equal(await mode(join(home, 'mnt', 'sensor', 'workload.sock')), 0o660, 'a folder per module (a container mounts the folder)')

    // prepareupdate: agent-only, the body is the spec to prepare (the module need not exist); nothing to pull for a process.
    const next = { name: 'later', type: 'process', config: { settings: { command: 'node' } } }
    assert.equal((await unixRequest(pub, 'POST', `/modules/later/prepareupdate?${V}`, next)).status, 403)
    assert.equal((await unixRequest(agentSock, 'POST', `/modules/later/prepareupdate?${V}`, next)).status, 204)
    const mismatch = await unixRequest(agentSock, 'POST', `/modules/other/prepareupdate?${V}`, next)
    assert.equal(mismatch.status, 400)
    assert.match(mismatch.json.message, /differs from 'other'/)
    assert.equal(runtime.modules.has('later'), false, 'prepare creates nothing')

    assert.equal((await unixRequest(agentSock, 'POST', `/modules?${V}`, spec)).status, 409)
    const docker = await unixRequest(agentSock, 'POST', `/modules?${V}`, { name: 'd', type: 'docker', config: { settings: { image: 'x' } } })
    assert.equal(docker.status, 400)
    assert.match(docker.json.message, /Docker runtime is not enabled \(add a \[moby_runtime\] table/)
    assert.equal((await unixRequest(agentSock, 'POST', `/modules?${V}`, { name: 'bad name' })).status, 400)
    assert.equal((await unixRequest(pub, 'GET', '/modules')).status, 400, 'api-version is required')
    assert.equal((await unixRequest(pub, 'GET', `/modules?api-version=2019-01-30`)).status, 200, 'older versions are accepted')
  })

  await t.test('start, stop, restart, get, logs', async () => {
    assert.equal((await unixRequest(pub, 'POST', `/modules/sensor/start?${V}`)).status, 204)
    assert.equal((await unixRequest(pub, 'GET', `/modules/sensor?${V}`)).json.status.runtimeStatus.status, 'running')
    assert.equal((await unixRequest(pub, 'POST', `/modules/sensor/restart?${V}`)).status, 204)
    assert.equal((await unixRequest(pub, 'POST', `/modules/sensor/stop?${V}`)).status, 204)
    assert.ok(runtime.calls.includes('stop sensor 10000'), 'stopped with the default grace')
    assert.equal((await unixRequest(pub, 'GET', `/modules/nope?${V}`)).status, 404)
    assert.equal((await unixRequest(pub, 'POST', `/modules/nope/start?${V}`)).status, 404)
    runtime.logLines.set('sensor', [
      { stream: 'stdout', time: '2026-01-01T00:00:00.000Z', text: 'one' },
      { stream: 'stderr', time: '2026-01-01T00:00:01.000Z', text: 'two' },
    ])
    const logs = await unixRequest(pub, 'GET', `/modules/sensor/logs?${V}&tail=1&timestamps=true`)
    assert.equal(logs.status, 200)
    assert.equal(logs.headers['content-type'], 'text/plain; charset=utf-8')
    assert.equal(logs.text, '2026-01-01T00:00:01.000Z two\n')
    const nd = await unixRequest(pub, 'GET', `/modules/sensor/logs?${V}&format=ndjson`)
    assert.deepEqual(nd.text.trim().split('\n').map((l) => JSON.parse(l).text), ['one', 'two'])
    assert.equal((await unixRequest(pub, 'GET', `/modules/sensor/logs?${V}&since=yesterday`)).status, 400)
  })

  await t.test('identities: agent only, in the hub', async () => {
    assert.equal((await unixRequest(pub, 'GET', `/identities/?${V}`)).status, 403)
    const made = await unixRequest(agentSock, 'POST', `/identities/?${V}`, { moduleId: 'extra', managedBy: 'IotEdge' })
    assert.equal(made.status, 200, made.text)
    assert.equal(made.json.moduleId, 'extra')
    assert.equal(made.json.authType, 'Sas')
    assert.ok(made.json.generationId)
    const listed = await unixRequest(agentSock, 'GET', `/identities/?${V}`)
    assert.ok(listed.json.identities.some((i: { moduleId: string }) => i.moduleId === 'extra'))
    assert.ok(listed.json.identities.some((i: { moduleId: string }) => i.moduleId === '$edgeAgent'))
    const updated = await unixRequest(agentSock, 'PUT', `/identities/extra?${V}`, { moduleId: 'extra', managedBy: 'someone' })
    assert.equal(updated.status, 200, updated.text)
    assert.equal(updated.json.managedBy, 'someone')
    assert.equal(updated.json.generationId, made.json.generationId)
    assert.equal((await unixRequest(agentSock, 'DELETE', `/identities/extra?${V}`)).status, 204)
    assert.equal((await rest(th, 'GET', '/devices/edge-1/modules/extra')).status, 404)
    assert.equal((await unixRequest(agentSock, 'DELETE', `/identities/extra?${V}`)).status, 404)
  })

  await t.test('systeminfo', async () => {
    const info = await unixRequest(pub, 'GET', `/systeminfo?${V}`)
    assert.equal(info.status, 200)
    assert.equal(info.json.osType, 'linux')
    assert.ok(info.json.cpus > 0)
    const res = await unixRequest(pub, 'GET', `/systeminfo/resources?${V}`)
    assert.ok(res.json.total_ram > 0)
    assert.equal(res.json.disks[0].name, home)
  })

  await t.test('update and delete through the agent socket', async () => {
    const spec = { name: 'sensor', type: 'process', config: { settings: { command: 'node', args: ['s2.js'] } } }
    assert.equal((await unixRequest(pub, 'PUT', `/modules/sensor?${V}`, spec)).status, 403)
    const up = await unixRequest(agentSock, 'PUT', `/modules/sensor?${V}&start=true`, spec)
    assert.equal(up.status, 200, up.text)
    assert.deepEqual(up.json.config.settings.args, ['s2.js'])
    assert.equal(up.json.status.runtimeStatus.status, 'running')
    assert.equal((await unixRequest(pub, 'DELETE', `/modules/sensor?${V}`)).status, 403)
    assert.equal((await unixRequest(agentSock, 'DELETE', `/modules/sensor?${V}`)).status, 204)
    assert.equal(runtime.modules.has('sensor'), false)
    await assert.rejects(stat(join(home, 'mnt', 'sensor')), 'the workload socket and its folder are gone')
  })

  await t.test('a restart on the same device keeps the modules; another device removes them', async () => {
    await daemon!.close()
    runtime.modules.set('leftover', { name: 'leftover', type: 'process', status: 'stopped', health: 'none', config: { name: 'leftover', type: 'process', settings: { command: 'x' }, env: {} } })
    // A module made by an older daemon (one socket file per module in mnt/) keeps the path its container was made with.
    const oldPath = join(home, 'mnt', 'elder.sock')
    runtime.modules.set('elder', { name: 'elder', type: 'process', status: 'stopped', health: 'none', config: { name: 'elder', type: 'process', settings: { command: 'x' }, env: { IOTEDGE_WORKLOADURI: `unix://${oldPath}` } } })
    daemon = await startDaemon(config, { log: silentLogger(), runtimes: [runtime] })
    assert.ok(runtime.modules.has('leftover'))
    assert.equal(await mode(join(home, 'mnt', 'leftover', 'workload.sock')), 0o660, 'existing modules get their sockets back')
    assert.equal(await mode(oldPath), 0o660)
    await daemon.close()

    const key2 = await createEdgeDevice(th, 'edge-2')
    const config2 = await configFor(th, home, 'edge-2', key2)
    daemon = await startDaemon(config2, { log: silentLogger(), runtimes: [runtime] })
    assert.equal(runtime.modules.has('leftover'), false, 'modules of the old device are removed')
    const agent = await eventually(() => runtime.modules.get('edgeAgent'), 10_000, 'the new agent')
    assert.equal(agent.config.env.IOTEDGE_DEVICEID, 'edge-2')
  })

  await t.test('close with stopModules stops every module', async () => {
    await eventually(() => (runtime.modules.get('edgeAgent')?.status === 'running' ? true : undefined), 10_000, 'the agent')
    await daemon!.close({ stopModules: true })
    daemon = undefined
    assert.equal(runtime.modules.get('edgeAgent')!.status, 'stopped')
    await assert.rejects(stat(pub), 'the management socket is gone')
  })
})
