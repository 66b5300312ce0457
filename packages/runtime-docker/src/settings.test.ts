import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hasCode } from '@ledge/module-runtime/testing'
import { createBody, LABELS, parseSettings, storedConfig, workloadMountOf } from './settings.js'

const ctx = { containerName: 'm1', runtimeId: 'r1', network: 'azure-iot-edge', hostname: 'edge.local' }

test('createBody: createOptions as given, settings.image wins, module env over createOptions Env, labels, mounts', () => {
  const config = {
    name: 'edgeHub', type: 'docker',
    settings: { image: 'hub:1', createOptions: JSON.stringify({ Image: 'ignored', Env: ['A=1', 'B=2'], HostConfig: { Binds: ['/d:/d'], PortBindings: { '8883/tcp': [{ HostPort: '8883' }] } } }) },
    env: { B: 'module', IOTEDGE_WORKLOADURI: 'unix:///var/lib/ledge/mnt/edgeHub.sock', IOTEDGE_MANAGEMENTURI: 'tcp://127.0.0.1:1' },
    labels: { 'net.ledge.edge.version': '3' },
  }
  const body = createBody(config, parseSettings(config), ctx)
  assert.equal(body.Image, 'hub:1')
  assert.deepEqual(body.Env, ['A=1', 'B=module', 'IOTEDGE_WORKLOADURI=unix:///var/lib/ledge/mnt/edgeHub.sock', 'IOTEDGE_MANAGEMENTURI=tcp://127.0.0.1:1'])
  assert.deepEqual(body.HostConfig?.Binds, ['/d:/d'])
  assert.equal(body.HostConfig?.NetworkMode, 'azure-iot-edge')
  assert.deepEqual(body.HostConfig?.Mounts, [{ Type: 'bind', Source: '/var/lib/ledge/mnt/edgeHub.sock', Target: '/var/lib/ledge/mnt/edgeHub.sock' }], 'tcp:// is not mounted')
  assert.deepEqual(body.NetworkingConfig?.EndpointsConfig?.['azure-iot-edge']?.Aliases, ['edge.local'])
  assert.equal(body.Labels?.[LABELS.version], '3')
  assert.equal(body.Labels?.[LABELS.owner], 'Microsoft.Azure.Devices.Edge.Agent')
  assert.deepEqual(JSON.parse(body.Labels![LABELS.env]!), { B: { value: 'module' } })
  assert.deepEqual(JSON.parse(body.Labels![LABELS.config]!), config)
})

test('the workload socket: its folder is mounted when the folder is the module\'s own, else the file', () => {
  const config = { name: 'sensor', type: 'docker', settings: { image: 'a' }, env: { IOTEDGE_WORKLOADURI: 'unix:///var/lib/ledge/mnt/sensor/workload.sock' } }
  const body = createBody(config, parseSettings(config), ctx)
  assert.deepEqual(body.HostConfig?.Mounts, [{ Type: 'bind', Source: '/var/lib/ledge/mnt/sensor', Target: '/var/lib/ledge/mnt/sensor' }])
  assert.equal(workloadMountOf('/var/lib/ledge/mnt/sensor.sock', 'sensor'), '/var/lib/ledge/mnt/sensor.sock', 'a shared folder is never mounted')
  assert.equal(workloadMountOf('/var/lib/ledge/mnt/other/workload.sock', 'sensor'), '/var/lib/ledge/mnt/other/workload.sock')
})

test('createBody: NetworkMode from createOptions wins; no alias on host networking; createOptions may be an object (TOML)', () => {
  const config = { name: 'edgeHub', type: 'docker', settings: { image: 'a', createOptions: { HostConfig: { NetworkMode: 'host' } } }, env: {} }
  const body = createBody(config, parseSettings(config), ctx)
  assert.equal(body.HostConfig?.NetworkMode, 'host')
  assert.equal(body.NetworkingConfig, undefined)
  assert.equal(body.Labels?.[LABELS.createOptions], '{"HostConfig":{"NetworkMode":"host"}}')
})

test('parseSettings: every problem at once; auth is used, never stored', () => {
  const config = { name: 'm', type: 'docker', settings: { image: ' ', createOptions: '{"Cmd": 1, "HostConfig": {"Privileged": "yes"}}', auth: { username: 'u' } }, env: { 'A=B': 'x' } }
  assert.throws(() => parseSettings(config), (err: Error) => {
    for (const s of ['settings.image', 'settings.createOptions.Cmd', 'settings.createOptions.HostConfig.Privileged', 'settings.auth', 'env.A=B']) hasCode('ERR_MODULE_INVALID', s)(err)
    return true
  })
  const ok = { name: 'm', type: 'docker', settings: { image: 'a', auth: { username: 'u', password: 'p', serveraddress: 'r' } }, env: {} }
  assert.deepEqual(parseSettings(ok).auth, { username: 'u', password: 'p', serveraddress: 'r' })
  assert.deepEqual(storedConfig(ok).settings, { image: 'a' })
})
