/**
 * `[provisioning] source = "dps"` against a real hub: the daemon registers through the unmodified provisioning SDK
 * (HTTPS) from an enrollment group, uses the device it was assigned, caches the assignment (owner-only), falls back to
 * the cache when DPS cannot be reached, asks DPS again when the hub rejects the device, and refuses bad settings
 * with errors that name the problem.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isAppError, silentLogger } from '@ledge/common'
import { deriveDeviceKey } from '@ledge/protocol'
import { freeLoopbackAddress, privilegedPortProblem, requireEnvironment, startTestHub, type TestHub } from '@ledge/testkit'
import type { DaemonConfig } from '../src/config/load.js'
import { startDaemon, type RunningDaemon } from '../src/daemon.js'
import { ConfigError } from '../src/errors.js'
import { FakeModuleRuntime } from './fake-runtime.js'
import { dpsProvisioning, eventually, rest, writeDaemonConfig } from './helpers.js'

const GROUP = 'edge-fleet'
const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777

interface DpsOptions {
  endpoint?: string
  idScope: string
  registrationId: string
  key: { value: string } | { file: string }
  top?: string
}

function dpsConfig(th: TestHub, home: string, o: DpsOptions): Promise<DaemonConfig> {
  const key = 'value' in o.key ? `{ value = "${o.key.value}" }` : `{ uri = "file://${o.key.file}" }`
  return writeDaemonConfig(th, home, `${o.top ?? ''}
hostname = "edge-dps"
${dpsProvisioning({ endpoint: o.endpoint ?? th.host, idScope: o.idScope, registrationId: o.registrationId, key })}
[agent.config]
command = "node"
args = ["agent.js"]`)
}

test('the edge daemon provisions through DPS', async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  await using th = await startTestHub({ dpsRetryAfterSeconds: 0 })
  const home = await mkdtemp(join(tmpdir(), 'ledge-edge-dps-'))
  t.after(() => rm(home, { recursive: true, force: true }))
  const idScope = (await rest(th, 'GET', '/provisioning')).body.idScope as string
  const group = await rest(th, 'PUT', `/enrollmentGroups/${GROUP}`, {
    enrollmentGroupId: GROUP, attestation: { type: 'symmetricKey' }, capabilities: { iotEdge: true }, initialTwin: { tags: { fleet: 'dps-test' } },
  })
  assert.equal(group.status, 200, JSON.stringify(group.body))
  const groupKey = group.body.attestation.symmetricKey.primaryKey as string
  const regId = 'edge-dps-01'
  const keyFile = join(home, 'dps.key')
  await writeFile(keyFile, `${deriveDeviceKey(groupKey, regId)}\n`, { mode: 0o600 })
  const runtime = new FakeModuleRuntime()
  let daemon: RunningDaemon | undefined
  t.after(() => daemon?.close())
  const start = async (config: DaemonConfig): Promise<RunningDaemon> => (daemon = await startDaemon(config, { log: silentLogger(), runtimes: [runtime] }))
  const config = await dpsConfig(th, home, { idScope, registrationId: regId, key: { file: keyFile } })

  await t.test('registers from the enrollment group, and the device exists in the registry as an edge device', async () => {
    const d = await start(config)
    assert.equal(d.provisionedFrom, 'dps')
    assert.deepEqual(d.device, { iothubHostname: th.host, deviceId: regId })
    const dev = await rest(th, 'GET', `/devices/${regId}`)
    assert.equal(dev.status, 200)
    assert.equal(dev.body.capabilities.iotEdge, true)
    assert.equal((await rest(th, 'GET', `/twins/${regId}`)).body.tags.fleet, 'dps-test')
    const regs = await rest(th, 'GET', `/enrollmentGroups/${GROUP}/registrations`)
    assert.deepEqual(regs.body.map((r: { registrationId: string }) => r.registrationId), [regId])
  })

  await t.test('connects with the derived key: the watchdog creates $edgeAgent in the hub as the device', async () => {
    await eventually(async () => ((await rest(th, 'GET', `/devices/${regId}/modules/$edgeAgent`)).status === 200 ? true : undefined), 20_000, '$edgeAgent in the hub')
    const agent = await eventually(() => runtime.modules.get('edgeAgent'), 20_000, 'the agent')
    assert.equal(agent.config.env.IOTEDGE_DEVICEID, regId)
    assert.equal(agent.config.env.IOTEDGE_IOTHUBHOSTNAME, th.host)
    // The hub's MQTT port is not 8883: the agent is told where to dial.
    assert.equal(agent.config.env.IOTEDGE_GATEWAYHOSTNAME, `${th.host}:${th.hub.mqttPort}`)
  })

  await t.test('the assignment is cached owner-only, without the key', async () => {
    const file = join(home, 'dps_registration.json')
    assert.equal(await mode(file), 0o600)
    const text = await readFile(file, 'utf8')
    const cache = JSON.parse(text)
    assert.equal(cache.iothubHostname, th.host)
    assert.equal(cache.deviceId, regId)
    assert.equal(cache.idScope, idScope)
    assert.ok(!text.includes(deriveDeviceKey(groupKey, regId)), 'the key is not in the cache')
    assert.equal(JSON.parse(await readFile(join(home, 'provisioning_state.json'), 'utf8')).deviceId, regId)
    assert.equal(await mode(join(home, 'keys', 'device.key')), 0o600)
  })

  await t.test('Dynamic (the default) keeps the cached device at start; AlwaysOnStartup registers again', async () => {
    await daemon!.close()
    const before = (await rest(th, 'GET', `/registrations/${regId}`)).body.lastUpdatedDateTimeUtc as string
    assert.equal((await start(config)).provisionedFrom, 'cache')
    await daemon!.close()
    const always = await dpsConfig(th, home, { idScope, registrationId: regId, key: { file: keyFile }, top: 'auto_reprovisioning_mode = "AlwaysOnStartup"' })
    await new Promise((r) => setTimeout(r, 5)) // lastUpdatedDateTimeUtc has millisecond resolution
    assert.equal((await start(always)).provisionedFrom, 'dps')
    const after = (await rest(th, 'GET', `/registrations/${regId}`)).body.lastUpdatedDateTimeUtc as string
    assert.ok(after > before, `registered again (${before} → ${after})`)
  })

  await t.test('with DPS unreachable, a restart uses the cached assignment', async () => {
    await daemon!.close()
    runtime.modules.set('leftover', { name: 'leftover', type: 'process', status: 'stopped', health: 'none', config: { name: 'leftover', type: 'process', settings: { command: 'x' }, env: {} } })
    const nobody = await freeLoopbackAddress(443)
    const offline = await dpsConfig(th, home, { endpoint: nobody, idScope, registrationId: regId, key: { file: keyFile }, top: 'auto_reprovisioning_mode = "AlwaysOnStartup"' })
    const d = await start(offline)
    assert.equal(d.provisionedFrom, 'cache')
    assert.deepEqual(d.device, { iothubHostname: th.host, deviceId: regId })
    assert.ok(runtime.modules.has('leftover'), 'the same device keeps its modules')
    runtime.modules.delete('leftover')
  })

  await t.test('Dynamic: when the hub rejects the device, it registers again', async () => {
    await daemon!.close()
    await start(config)
    const registeredBefore = (await rest(th, 'GET', `/registrations/${regId}`)).body.lastUpdatedDateTimeUtc as string
    assert.equal((await rest(th, 'DELETE', `/devices/${regId}`)).status, 204)
    // The watchdog's next call is refused (401); DPS creates the device again and the watchdog recreates $edgeAgent.
    await eventually(async () => ((await rest(th, 'GET', `/devices/${regId}/modules/$edgeAgent`)).status === 200 ? true : undefined), 60_000, 'the device back with $edgeAgent')
    const registeredAfter = (await rest(th, 'GET', `/registrations/${regId}`)).body.lastUpdatedDateTimeUtc as string
    assert.ok(registeredAfter > registeredBefore, 'the device registered again')
    assert.equal((await rest(th, 'GET', `/devices/${regId}`)).body.capabilities.iotEdge, true)
    assert.equal(daemon!.device.deviceId, regId)
  })

  await t.test('bad DPS settings give errors that name the problem', async () => {
    await daemon!.close()
    daemon = undefined
    const fresh = await mkdtemp(join(tmpdir(), 'ledge-edge-dps-bad-'))
    t.after(() => rm(fresh, { recursive: true, force: true }))
    const refused = async (o: Omit<DpsOptions, 'idScope'> & { idScope?: string }, code: string, message: RegExp): Promise<void> => {
      const c = await dpsConfig(th, fresh, { idScope, ...o })
      await assert.rejects(startDaemon(c, { log: silentLogger(), runtimes: [runtime] }), (err: unknown) => {
        assert.ok(isAppError(err) || err instanceof ConfigError, String(err))
        assert.equal((err as { code: string }).code, code)
        assert.match((err as Error).message, message)
        return true
      })
    }
    // A key that is not derived from any group's key.
    await refused({ registrationId: 'edge-dps-02', key: { value: Buffer.alloc(32, 3).toString('base64') } }, 'ERR_EDGE_DPS_REFUSED',
      /registering 'edge-dps-02' with DPS at .* DPS answered 401: no enrollment matches registration 'edge-dps-02'/)
    // Another id scope.
    await refused({ registrationId: 'edge-dps-02', key: { value: deriveDeviceKey(groupKey, 'edge-dps-02') }, idScope: '0ne00000000' }, 'ERR_EDGE_DPS_REFUSED', /id scope 0ne00000000\): DPS answered 40\d/)
    // Nothing answers, and there is no cached assignment to fall back on.
    const nobody = await freeLoopbackAddress(443)
    await refused({ endpoint: nobody, registrationId: 'edge-dps-02', key: { value: deriveDeviceKey(groupKey, 'edge-dps-02') } }, 'ERR_EDGE_DPS_UNREACHABLE', /DPS cannot be reached \(.*ECONNREFUSED/)
    await refused({ registrationId: 'edge-dps-02', key: { file: join(fresh, 'missing.key') } }, 'ERR_EDGE_CONFIG_INVALID', /provisioning\.attestation\.symmetric_key\.uri: .*missing\.key cannot be read/)
    assert.equal((await rest(th, 'GET', '/devices/edge-dps-02')).status, 404, 'no device was created')
  })
})
