/**
 * Issue 6, the edge hub with containers, end to end: a real hub, `ledge edge start` with the Docker runtime (network
 * "host") and the real agent, the process edge hub the daemon runs for an Azure manifest's `edgeHub`, and two
 * container modules built locally with the unmodified azure-iot-device `ModuleClient.fromEnvironment(Mqtt)`.
 *
 * 1. Routing: `dsend`'s output goes through the edge hub to `decho`'s input and to `$upstream`; `decho`'s echo
 *    reaches the hub too. Without DNS the modules reach the edge hub because the device's host name (what the daemon
 *    puts in `IOTEDGE_GATEWAYHOSTNAME`, and the edge hub's certificate names) is a loopback address of its own.
 * 2. A daemon restart (`ledge edge config apply`) binds every workload socket again: the container that kept running
 *    reaches the new socket (its folder is mounted, not the file) and signs a new SAS token with it.
 * 3. `ModuleUpdateMode=WaitForAllPulls`: one image of the deployment cannot be pulled (a loopback registry port
 *    nothing listens on), so no module is touched and `$edgeAgent` reports 500; NonBlocking then updates the module
 *    whose image is there and leaves the other running as it was.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanupStack, edgeDeployment, freeLoopbackAddress, privilegedPortProblem, requireEnvironment, runLedge, spawnLedge, startTestHub } from '@ledge/testkit'
import { createEdgeDevice, eventually, rest } from '../../edge-daemon/test/helpers.js'
import { connect } from '../src/index.js'
import { buildNodeImage, bundle, dockerProblem, TEST_DOCKER_URI, TEST_REGISTRY, writeDockerEdgeConfig } from '../src/testing/index.js'

const ROUTED_MODULE = fileURLToPath(new URL('../src/testing/fixtures/routed-module.cjs', import.meta.url))
const NAMES = ['dsend', 'decho']
const docker = connect(TEST_DOCKER_URI)

type Reported = { lastDesiredStatus?: { code: number; description?: string }; modules?: Record<string, { runtimeStatus: string }> }
type Modules = Record<string, unknown>

function deployment(edgeHost: string, modules: Modules, agentEnv: Record<string, string> = {}): unknown {
  return edgeDeployment({
    runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25' } },
    edgeAgent: { type: 'process', settings: { command: process.execPath }, env: Object.fromEntries(Object.entries(agentEnv).map(([k, v]) => [k, { value: v }])) },
    // As an Azure manifest has it: the daemon runs Ledge's edge hub, on the device's own loopback address.
    edgeHub: {
      type: 'process', status: 'running', restartPolicy: 'always', startupOrder: 0, settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' },
      env: { LEDGE_EDGEHUB_BIND: { value: edgeHost }, LEDGE_EDGEHUB_METRICS_BIND: { value: edgeHost } },
    },
    modules,
    routes: {
      toEcho: 'FROM /messages/modules/dsend/outputs/out INTO BrokeredEndpoint("/modules/decho/inputs/in")',
      up: 'FROM /messages/modules/* INTO $upstream',
    },
  })
}

async function removeTestContainers(): Promise<void> {
  for (const name of NAMES) await docker.getContainer(name).remove({ force: true }).catch(() => undefined)
}

async function container(name: string): Promise<{ id: string; running: boolean; env: string[] } | undefined> {
  return docker.getContainer(name).inspect().then((i) => ({ id: i.Id, running: i.State.Running, env: i.Config.Env ?? [] }), () => undefined)
}

async function logsOf(name: string): Promise<string> {
  // The multiplexed stream's frame headers are binary; the lines in between are intact, which is all a match needs.
  return (await docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false })).toString('utf8')
}

test('containers routed through the edge hub; their workload sockets survive a daemon restart; WaitForAllPulls', { timeout: 420_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  if (!requireEnvironment(t, await dockerProblem())) return
  const image = await buildNodeImage(docker, { name: 'routed-module', files: { '/app/module.js': await bundle(ROUTED_MODULE) } })
  await removeTestContainers()

  // One clean-up, last in first out: the containers, the edge runtime, then the hub it talks to, the folder last.
  const cleanup = cleanupStack(t)
  const dir = await mkdtemp(join(tmpdir(), 'ledge-docker-edgehub-'))
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  const th = await startTestHub()
  cleanup.push(() => th.close())
  cleanup.push(removeTestContainers)
  const deviceId = 'EdgeDockerHub'
  const key = await createEdgeDevice(th, deviceId)
  const edgeHost = await freeLoopbackAddress(8883)

  const { config, home } = await writeDockerEdgeConfig({ th, dir, deviceId, key, moduleGateway: 'edge_hub', hostname: edgeHost, hostNetwork: true })
  assert.match(await readFile(config, 'utf8'), /module_gateway = "edge_hub"/)

  const log: string[] = []
  const edge = spawnLedge(['edge', 'start', '--config', config], log)
  const { child: daemon, exited } = edge
  cleanup.push(() => edge.stop())
  const reported = async () => (await rest(th, 'GET', `/twins/${deviceId}/modules/${encodeURIComponent('$edgeAgent')}`)).body.properties.reported as Reported
  const events = async (moduleId: string) => (await rest(th, 'GET', `/events/messages?deviceId=${deviceId}&moduleId=${moduleId}`)).body.events as { systemProperties: Record<string, string>; properties: Record<string, string>; body: unknown }[]

  const routed = (o: { env?: Record<string, string>; image?: string; imagePullPolicy?: string; startupOrder?: number } = {}) => ({
    type: 'docker', status: 'running', restartPolicy: 'always', imagePullPolicy: o.imagePullPolicy ?? 'never', startupOrder: o.startupOrder ?? 1,
    settings: { image: o.image ?? image, createOptions: JSON.stringify({ Cmd: ['/app/module.js'], HostConfig: { Init: true } }) },
    env: Object.fromEntries(Object.entries(o.env ?? {}).map(([k, v]) => [k, { value: v }])),
  })
  const modules = { dsend: routed({ env: { SEND_MS: '500' } }), decho: routed({ startupOrder: 2 }) }
  try {
    // 1. Both containers connect to the edge hub by the device's loopback address; routes carry dsend's output to
    //    decho's input and everything upstream.
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment(edgeHost, modules))).status, 204)
    await eventually(async () => {
      const r = await reported()
      return r.modules?.dsend?.runtimeStatus === 'running' && r.modules?.decho?.runtimeStatus === 'running' ? r : undefined
    }, 120_000, 'the agent to report both containers running')
    const sent = await eventually(async () => ((await events('dsend')).length >= 2 ? events('dsend') : undefined), 90_000, 'dsend telemetry through the edge hub')
    assert.equal(sent[0]!.systemProperties.outputName, 'out')
    const echoes = await eventually(async () => ((await events('decho')).length >= 2 ? events('decho') : undefined), 60_000, 'decho echoes in the hub')
    assert.equal(echoes[0]!.systemProperties.outputName, 'echo')
    assert.equal(echoes[0]!.properties.input, 'in', 'the route delivered dsend\'s output to decho\'s input')
    assert.match(await logsOf('dsend'), new RegExp(`connected as dsend through ${edgeHost.replaceAll('.', '\\.')}`))
    const gatewayEnv = (await container('dsend'))!.env.find((e) => e.startsWith('IOTEDGE_GATEWAYHOSTNAME='))
    assert.equal(gatewayEnv, `IOTEDGE_GATEWAYHOSTNAME=${edgeHost}`)

    // 2. The daemon restarts (config apply): new workload sockets in the folders the containers mount.
    const socket = join(home, 'mnt', 'dsend', 'workload.sock')
    // Inode and change time: a file bound again may get the inode number the removed one had.
    const socketId = async (): Promise<string | undefined> => stat(socket, { bigint: true }).then((s) => `${s.ino}-${s.ctimeNs}`, () => undefined)
    const before = (await socketId())!
    const sendId = (await container('dsend'))!.id
    await eventually(async () => ((await logsOf('dsend')).includes(`workload ok socket=${before}`) ? true : undefined), 30_000, 'the module to use its workload socket')
    const applied = await runLedge(['edge', 'config', 'apply', '--config', config])
    assert.equal(applied.code, 0, applied.out)
    const after = await eventually(async () => {
      const id = await socketId()
      return id !== undefined && id !== before ? id : undefined
    }, 60_000, 'the restarted daemon to bind the socket again')
    await eventually(async () => ((await logsOf('dsend')).includes(`workload ok socket=${after}`) ? true : undefined), 60_000,
      'the still-running container to sign a token through the new socket')
    assert.equal((await container('dsend'))!.id, sendId, 'the container kept running through the restart')

    // 3. WaitForAllPulls: decho's new image cannot be pulled, so neither module changes (dsend's update comes first
    //    in startup order and would otherwise run).
    const echoId = (await container('decho'))!.id
    const absent = `${TEST_REGISTRY}/absent:${Date.now()}`
    const next = { dsend: routed({ env: { SEND_MS: '400' } }), decho: routed({ image: absent, imagePullPolicy: 'on-create', startupOrder: 2 }) }
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment(edgeHost, next, { ModuleUpdateMode: 'WaitForAllPulls' }))).status, 204)
    const failed = await eventually(async () => {
      const r = await reported()
      // Not any 500: a reconcile that ran while the daemon restarted may report its unreachable socket first.
      return r.lastDesiredStatus?.code === 500 && /PrepareForUpdate/.test(r.lastDesiredStatus.description ?? '') ? r.lastDesiredStatus : undefined
    }, 90_000, 'the agent to report the failed pull')
    assert.match(failed.description ?? '', /^Failed to execute PrepareForUpdate command: prepare module decho/)
    assert.match(failed.description ?? '', /ModuleUpdateMode=WaitForAllPulls/)
    for (const [name, id] of [['dsend', sendId], ['decho', echoId]] as const) {
      const c = (await container(name))!
      assert.equal(c.id, id, `${name} was not recreated`)
      assert.equal(c.running, true, `${name} still runs`)
    }
    assert.ok((await container('dsend'))!.env.includes('SEND_MS=500'), 'dsend keeps its old spec')

    // NonBlocking (the default): dsend's update goes ahead; decho's pull fails in its own step, so it keeps running.
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment(edgeHost, next))).status, 204)
    await eventually(async () => ((await container('dsend'))?.env.includes('SEND_MS=400') ? true : undefined), 90_000, 'dsend to be updated')
    const r = await eventually(async () => {
      const rep = await reported()
      return rep.lastDesiredStatus?.code === 500 && /One or more commands failed/.test(rep.lastDesiredStatus.description ?? '') ? rep : undefined
    }, 60_000, 'the NonBlocking run to report decho\'s pull')
    assert.match(r.lastDesiredStatus!.description!, /prepare module decho/)
    const echo = (await container('decho'))!
    assert.equal(echo.id, echoId)
    assert.equal(echo.running, true)

    daemon.kill('SIGTERM')
    assert.equal(await exited, 0)
  } catch (err) {
    console.error(log.join('').split('\n').slice(-80).join('\n'))
    throw err
  }
})
