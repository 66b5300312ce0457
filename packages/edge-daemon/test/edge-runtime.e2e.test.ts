/**
 * Issue 3 end to end: a real hub, `ledge edge start` (the daemon with the process runtime) and the real edge agent.
 * `set-modules` deploys two process modules written with the unmodified azure-iot-device
 * `ModuleClient.fromEnvironment(Mqtt)`; both run and report; a crashing module is restarted with back-off; a module
 * removed from the manifest is stopped; a bad manifest is reported and changes nothing; and the daemon restarted with
 * the hub down brings the modules back from the saved deployment.
 *
 * The edge hub does not exist yet (issue 4): the `edgeHub` system module is an idle placeholder process, and modules
 * reach the cloud hub directly (`module_gateway = "upstream"`: the deployment's edgeHub is an idle placeholder here).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LEDGE_BIN, privilegedPortProblem, repoRoot, requireEnvironment, spawnLedge, startTestHub, testCaFiles, type TestHub } from '@ledge/testkit'
import { createEdgeDevice, eventually, rest, unixRequest } from './helpers.js'

const MODULES = join(repoRoot, 'packages', 'testkit', 'fixtures', 'modules')
const IDLE = ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1 << 30)"]

function deployment(modules: Record<string, unknown>, schemaVersion = '1.1'): unknown {
  const processModule = { type: 'process', status: 'running', restartPolicy: 'always' }
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion,
          runtime: { type: 'process', settings: {} },
          systemModules: {
            edgeAgent: { type: 'process', settings: { command: process.execPath } },
            edgeHub: { ...processModule, settings: { command: process.execPath, args: IDLE } },
          },
          modules,
        },
      },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  }
}

const heartbeat = { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: process.execPath, args: [join(MODULES, 'heartbeat.mjs')] }, env: { HEARTBEAT_MS: { value: '300' } } }
const crasher = { type: 'process', status: 'running', restartPolicy: 'on-failure', settings: { command: process.execPath, args: [join(MODULES, 'crasher.mjs')] }, env: { CRASH_AFTER_MS: { value: '300' } } }

type Reported = { lastDesiredStatus?: { code: number; description?: string }; lastDesiredVersion?: number; modules?: Record<string, { runtimeStatus: string; restartCount?: number; exitCode?: number; lastStartTimeUtc?: string }>; systemModules?: Record<string, { runtimeStatus: string }> }

async function agentReported(th: TestHub, deviceId: string): Promise<Reported> {
  const twin = await rest(th, 'GET', `/twins/${deviceId}/modules/${encodeURIComponent('$edgeAgent')}`)
  return twin.body.properties.reported as Reported
}

test('set-modules runs SDK modules as processes; crash, removal, bad manifest and an offline restart behave', { timeout: 300_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  const dataDir = await mkdtemp(join(tmpdir(), 'ledge-e2e-hub-'))
  const dir = await mkdtemp(join(tmpdir(), 'ledge-e2e-edge-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  let th: TestHub | undefined = await startTestHub({ dataDir })
  t.after(() => th?.close())
  const deviceId = 'EdgeE2E'
  const key = await createEdgeDevice(th, deviceId)
  const config = join(dir, 'config.toml')
  const home = join(dir, 'home')
  const mp = spawn(process.execPath, [LEDGE_BIN, 'edge', 'config', 'mp', '--connection-string', `HostName=${th.host};DeviceId=${deviceId};SharedAccessKey=${key}`,
    '--config', config, '--home-dir', home, '--hub-ca-cert', testCaFiles().certFile, '--mqtt-port', String(th.hub.mqttPort), '--module-gateway', 'upstream'], { stdio: 'inherit' })
  assert.equal(await new Promise((r) => mp.on('exit', r)), 0)
  await writeFile(config, `trust_bundle_cert = "${testCaFiles().certFile}"\n${await readFile(config, 'utf8')}`)
  await appendFile(config, '\n[agent.env]\nLEDGE_AGENT_RECONCILE_INTERVAL_MS = "1000"\n')

  const log: string[] = []
  let daemon = spawnLedge(['edge', 'start', '--config', config], log)
  t.after(() => daemon.child.kill('SIGKILL'))
  const mgmt = join(home, 'mgmt.sock')
  try {
    // 1. Deploy two modules: both run, connect through the workload API and report.
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment({ heartbeat, crasher }))).status, 204)
    const running = await eventually(async () => {
      const r = await agentReported(th!, deviceId)
      return r.lastDesiredStatus?.code === 200 && r.modules?.heartbeat?.runtimeStatus === 'running' ? r : undefined
    }, 60_000, 'the agent to report heartbeat running')
    assert.equal(running.systemModules?.edgeHub?.runtimeStatus, 'running')
    const beats = await eventually(async () => {
      const r = await rest(th!, 'GET', `/events/messages?deviceId=${deviceId}&moduleId=heartbeat`)
      return r.body.events.length >= 2 ? r.body.events : undefined
    }, 30_000, 'heartbeat telemetry in the hub')
    assert.equal(beats[0].systemProperties.outputName, 'beats')
    const hbTwin = await rest(th, 'GET', `/twins/${deviceId}/modules/heartbeat`)
    assert.ok(hbTwin.body.properties.reported.started, 'the heartbeat module reported through its own twin')
    const ping = await rest(th, 'POST', `/twins/${deviceId}/modules/heartbeat/methods`, { methodName: 'ping', payload: {}, responseTimeoutInSeconds: 10 })
    assert.deepEqual(ping.body, { status: 200, payload: { pong: 'heartbeat' } })

    // 2. The crasher exits with 3 after each start; on-failure restarts it with back-off (10 s, then 20 s, …).
    const crashed = await eventually(async () => {
      const twin = await rest(th!, 'GET', `/twins/${deviceId}/modules/crasher`)
      const r = await agentReported(th!, deviceId)
      return (twin.body.properties.reported.starts ?? 0) >= 2 && (r.modules?.crasher?.restartCount ?? 0) >= 1 ? { twin, r } : undefined
    }, 90_000, 'the crasher to be restarted')
    assert.equal(crashed.r.modules!.crasher!.exitCode, 3)
    const first = Date.parse(crashed.twin.body.properties.reported.lastStart)
    assert.ok(Number.isFinite(first))

    // 3. A deployment without the heartbeat stops and removes it.
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment({ crasher }))).status, 204)
    await eventually(async () => {
      const list = await unixRequest(mgmt, 'GET', '/modules?api-version=2022-08-03')
      const names = (list.json.modules as { name: string }[]).map((m) => m.name)
      const r = await agentReported(th!, deviceId)
      return !names.includes('heartbeat') && !r.modules?.heartbeat ? true : undefined
    }, 60_000, 'the heartbeat module to be removed')

    // 4. A manifest of an unknown schema version (written to the twin directly, past the hub's validation) is
    //    reported with 412 and leaves the running modules as they are.
    const before = (await unixRequest(mgmt, 'GET', '/modules?api-version=2022-08-03')).json.modules.map((m: { name: string }) => m.name).sort()
    const bad = (deployment({}, '9.9') as { modulesContent: { $edgeAgent: { 'properties.desired': unknown } } }).modulesContent.$edgeAgent['properties.desired']
    assert.equal((await rest(th, 'PUT', `/twins/${deviceId}/modules/${encodeURIComponent('$edgeAgent')}`, { properties: { desired: bad } })).status, 200)
    const rejected = await eventually(async () => {
      const r = await agentReported(th!, deviceId)
      return r.lastDesiredStatus?.code === 412 ? r : undefined
    }, 30_000, 'the agent to report 412')
    assert.match(rejected.lastDesiredStatus!.description ?? '', /9\.9/)
    const after = (await unixRequest(mgmt, 'GET', '/modules?api-version=2022-08-03')).json.modules.map((m: { name: string }) => m.name).sort()
    assert.deepEqual(after, before)

    // 5. Stop the daemon and the hub; start the daemon alone: the agent restores the last good deployment.
    daemon.child.kill('SIGTERM')
    assert.equal(await daemon.exited, 0)
    await th.close()
    th = undefined
    const restartedAt = Date.now()
    daemon = spawnLedge(['edge', 'start', '--config', config], log)
    const restored = await eventually(async () => {
      let list
      try {
        list = await unixRequest(mgmt, 'GET', '/modules?api-version=2022-08-03')
      } catch {
        return undefined
      }
      const mods = list.json.modules as { name: string; status: { startTime?: string; runtimeStatus: { status: string } } }[]
      const hub = mods.find((m) => m.name === 'edgeHub')
      const crash = mods.find((m) => m.name === 'crasher')
      const startedAgain = (m?: { status: { startTime?: string } }): boolean => !!m?.status.startTime && Date.parse(m.status.startTime) >= restartedAt - 1000
      return hub?.status.runtimeStatus.status === 'running' && startedAgain(hub) && startedAgain(crash) ? mods : undefined
    }, 60_000, 'the modules of the saved deployment to start with the hub down')
    assert.ok(restored.some((m) => m.name === 'crasher'))
    daemon.child.kill('SIGTERM')
    assert.equal(await daemon.exited, 0)
  } catch (err) {
    console.error(log.join('').split('\n').slice(-80).join('\n'))
    throw err
  }
})
