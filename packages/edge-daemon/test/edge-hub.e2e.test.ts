/**
 * Issue 4 end to end on a real edge device: a real hub, `ledge edge start` (daemon, process runtime, real agent),
 * and the deployment's `edgeHub` system module written as for Azure (`image: mcr.microsoft.com/azureiotedge-hub`):
 * the daemon runs Ledge's edge hub for it, with its certificate and tokens from the workload API. Modules use the
 * unmodified `ModuleClient.fromEnvironment` and reach the edge hub through `IOTEDGE_GATEWAYHOSTNAME`; routes take
 * the heartbeat's output to the echo module's input and both upstream; a cloud method reaches a module through the
 * edge hub; a leaf device sends through the gateway with the edge CA; the metrics are served on :9600.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanupStack, edgeDeployment, freeLoopbackAddress, LEDGE_BIN, privilegedPortProblem, repoRoot, requireEnvironment, spawnLedge, startTestHub, testCaFiles } from '@ledge/testkit'
import { createEdgeDevice, eventually, rest } from './helpers.js'

const require = createRequire(import.meta.url)
const { Client, Message } = require('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt')

const MODULES = join(repoRoot, 'packages', 'testkit', 'fixtures', 'modules')

function deployment(edgeHost: string): unknown {
  const processModule = { type: 'process', status: 'running', restartPolicy: 'always' }
  const node = (file: string, env: Record<string, string> = {}) => ({
    ...processModule, settings: { command: process.execPath, args: [join(MODULES, file)] },
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, { value: v }])),
  })
  return edgeDeployment({
    edgeAgent: { type: 'process', settings: { command: process.execPath } },
    // As an Azure manifest has it; the edge hub listens on the device's own address (a test's loopback).
    edgeHub: {
      ...processModule, settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' },
      env: { LEDGE_EDGEHUB_BIND: { value: edgeHost }, LEDGE_EDGEHUB_METRICS_BIND: { value: edgeHost } },
    },
    modules: { heartbeat: node('heartbeat.mjs', { HEARTBEAT_MS: '300' }), echo: node('echo.mjs') },
    routes: {
      toEcho: { route: 'FROM /messages/modules/heartbeat/outputs/beats INTO BrokeredEndpoint("/modules/echo/inputs/beats")', priority: 0 },
      heartbeatUp: 'FROM /messages/modules/heartbeat/outputs/* INTO $upstream',
      echoUp: 'FROM /messages/modules/echo/outputs/echo INTO $upstream',
      leafUp: 'FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream',
    },
  })
}

test('the daemon runs the edge hub for an Azure-style manifest; SDK modules and a leaf device route through it', { timeout: 240_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  const dir = await mkdtemp(join(tmpdir(), 'ledge-e2e-edgehub-'))
  // One clean-up, last in first out: the edge runtime stops before the hub it talks to, the folder goes last.
  const cleanup = cleanupStack(t)
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  const th = await startTestHub()
  cleanup.push(() => th.close())
  const deviceId = 'EdgeHubE2E'
  const key = await createEdgeDevice(th, deviceId)
  const edge = await rest(th, 'GET', `/devices/${deviceId}`)
  const leaf = await rest(th, 'PUT', '/devices/leaf-e2e', { deviceId: 'leaf-e2e', deviceScope: edge.body.deviceScope })
  const edgeHost = await freeLoopbackAddress(8883)

  const config = join(dir, 'config.toml')
  const home = join(dir, 'home')
  const mp = spawn(process.execPath, [LEDGE_BIN, 'edge', 'config', 'mp', '--connection-string', `HostName=${th.host};DeviceId=${deviceId};SharedAccessKey=${key}`,
    '--config', config, '--home-dir', home, '--hub-ca-cert', testCaFiles().certFile, '--mqtt-port', String(th.hub.mqttPort), '--hostname', edgeHost], { stdio: 'inherit' })
  assert.equal(await new Promise((r) => mp.on('exit', r)), 0)
  await writeFile(config, `trust_bundle_cert = "${testCaFiles().certFile}"\n${await readFile(config, 'utf8')}`)
  const text = await readFile(config, 'utf8')
  await writeFile(config, text.replace(/^\[ledge\]\n/m, '[ledge]\nmodule_gateway = "edge_hub"\n'))
  await appendFile(config, '\n[agent.env]\nLEDGE_AGENT_RECONCILE_INTERVAL_MS = "1000"\n')
  assert.match(await readFile(config, 'utf8'), /module_gateway = "edge_hub"/)

  const log: string[] = []
  const daemon = spawnLedge(['edge', 'start', '--config', config], log)
  cleanup.push(() => daemon.stop())
  try {
    const applied = await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment(edgeHost))
    assert.equal(applied.status, 204, JSON.stringify(applied.body))
    const reported = await eventually(async () => {
      const r = (await rest(th, 'GET', `/twins/${deviceId}/modules/${encodeURIComponent('$edgeAgent')}`)).body.properties.reported
      return r.systemModules?.edgeHub?.runtimeStatus === 'running' && r.modules?.echo?.runtimeStatus === 'running' ? r : undefined
    }, 90_000, 'the agent to report the edge hub and the modules running')
    assert.equal(reported.lastDesiredStatus.code, 200)

    // The heartbeat's beats reach the echo module's input through the edge hub (the cloud hub does not route to
    // module inputs), and both outputs reach the hub.
    const echoes = await eventually(async () => {
      const r = await rest(th, 'GET', `/events/messages?deviceId=${deviceId}&moduleId=echo`)
      return r.body.events.length >= 2 ? r.body.events : undefined
    }, 60_000, 'echoes of the heartbeat in the hub')
    assert.equal(echoes[0].properties.input, 'beats')
    assert.equal(echoes[0].properties.from, 'heartbeat')
    const beats = await rest(th, 'GET', `/events/messages?deviceId=${deviceId}&moduleId=heartbeat`)
    assert.ok(beats.body.events.length >= 2)
    const hubReported = (await rest(th, 'GET', `/twins/${deviceId}/modules/${encodeURIComponent('$edgeHub')}`)).body.properties.reported
    assert.equal(hubReported.lastDesiredStatus.code, 200)

    // A cloud method reaches the heartbeat through the edge hub.
    const ping = await eventually(async () => {
      const r = await rest(th, 'POST', `/twins/${deviceId}/modules/heartbeat/methods`, { methodName: 'ping', payload: {}, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 5 })
      return r.status === 200 ? r : undefined
    }, 30_000, 'the ping method')
    assert.deepEqual(ping.body, { status: 200, payload: { pong: 'heartbeat' } })

    // A leaf device through the gateway, trusting the edge CA.
    const edgeCa = await readFile(join(home, 'certs', 'edge-ca.pem'), 'utf8')
    const cs = `HostName=${th.host};DeviceId=leaf-e2e;SharedAccessKey=${leaf.body.authentication.symmetricKey.primaryKey};GatewayHostName=${edgeHost}`
    const client = Client.fromConnectionString(cs, Mqtt)
    await client.setOptions({ ca: edgeCa })
    cleanup.push(() => client.close())
    await client.open()
    await client.sendEvent(new Message(JSON.stringify({ leaf: true })))
    await eventually(async () => ((await rest(th, 'GET', '/events/messages?deviceId=leaf-e2e')).body.events.length >= 1 ? true : undefined), 30_000, 'the leaf telemetry in the hub')

    // Prometheus metrics on the device's :9600.
    const metrics = await (await fetch(`http://${edgeHost}:9600/metrics`)).text()
    assert.match(metrics, /edgehub_messages_received_total\{[^}]*id="EdgeHubE2E\/heartbeat"/)
    assert.match(metrics, /edgehub_messages_sent_total\{[^}]*to="\/modules\/echo\/inputs\/beats"/)
  } catch (err) {
    console.error(log.join('').split('\n').slice(-60).join('\n'))
    throw err
  }
})
