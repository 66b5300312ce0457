import { test } from 'node:test'
import assert from 'node:assert/strict'
import { moduleEnv, type EnvContext } from './env.js'

const ctx: EnvContext = {
  iothubHostname: 'hub.example', deviceId: 'edge1', edgeHostname: 'edge1.local', upstreamGateway: 'hub.example:18883',
  moduleGateway: 'upstream', agentManagementUri: 'unix:///var/lib/ledge/edge/private/mgmt-agent.sock', agentStateDir: '/var/lib/ledge/edge/agent',
}
const m = { moduleId: 'sensor', generationId: 'g1', workloadSocket: '/var/lib/ledge/edge/mnt/sensor.sock', role: 'module' as const }

test('a custom module gets exactly the IOTEDGE_* variables, over the deployment env', () => {
  assert.deepEqual(moduleEnv(ctx, m, { A: '1', IOTEDGE_MODULEID: 'spoofed' }), {
    A: '1',
    IOTEDGE_WORKLOADURI: 'unix:///var/lib/ledge/edge/mnt/sensor.sock',
    IOTEDGE_AUTHSCHEME: 'sasToken',
    IOTEDGE_MODULEGENERATIONID: 'g1',
    IOTEDGE_IOTHUBHOSTNAME: 'hub.example',
    IOTEDGE_DEVICEID: 'edge1',
    IOTEDGE_MODULEID: 'sensor',
    IOTEDGE_APIVERSION: '2022-08-03',
    IOTEDGE_GATEWAYHOSTNAME: 'hub.example:18883',
  })
})

test('gateway: the hub itself without a port, the edge hub when configured, the deployment when it says so', () => {
  const { upstreamGateway: _u, ...noPort } = ctx
  assert.equal(moduleEnv(noPort, m, {}).IOTEDGE_GATEWAYHOSTNAME, 'hub.example')
  assert.equal(moduleEnv({ ...ctx, moduleGateway: 'edge_hub' }, m, {}).IOTEDGE_GATEWAYHOSTNAME, 'edge1.local')
  assert.equal(moduleEnv(ctx, m, { IOTEDGE_GATEWAYHOSTNAME: 'other:1' }).IOTEDGE_GATEWAYHOSTNAME, 'other:1')
})

test('the agent also gets the management URI, EdgeDeviceHostName, Mode and its state folder', () => {
  const env = moduleEnv(ctx, { ...m, moduleId: '$edgeAgent', role: 'agent' }, {})
  assert.equal(env.IOTEDGE_MANAGEMENTURI, ctx.agentManagementUri)
  assert.equal(env.EdgeDeviceHostName, 'edge1.local')
  assert.equal(env.Mode, 'iotedged')
  assert.equal(env.LEDGE_AGENT_STATE_DIR, '/var/lib/ledge/edge/agent')
  assert.equal(env.IOTEDGE_GATEWAYHOSTNAME, 'hub.example:18883', 'upstream on a non-standard port')
  const { upstreamGateway: _u, ...noPort } = ctx
  assert.equal(moduleEnv(noPort, { ...m, role: 'agent' }, {}).IOTEDGE_GATEWAYHOSTNAME, undefined, 'not nested, standard port: none (as Azure)')
  const hubEnv = moduleEnv({ ...ctx, parentHostname: 'parent' }, { ...m, moduleId: '$edgeHub', role: 'edgeHub' }, {})
  assert.equal(hubEnv.IOTEDGE_PARENTHOSTNAME, 'parent')
  assert.equal(hubEnv.EdgeDeviceHostName, 'edge1.local')
  assert.equal(hubEnv.IOTEDGE_MANAGEMENTURI, undefined)
})
