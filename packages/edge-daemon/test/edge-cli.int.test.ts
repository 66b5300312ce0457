/**
 * End to end through the `ledge` binary: `edge config mp` writes the file, `edge start` runs the daemon with the real
 * process runtime; the agent (a stand-in using the unmodified SDK) connects as $edgeAgent through the workload API,
 * creates a module through its management socket, and that module's event reaches the hub too. `edge config apply`
 * makes the daemon re-read the file; SIGTERM stops everything.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { privilegedPortProblem, requireEnvironment, spawnLedge, startTestHub, testCaFiles } from '@ledge/testkit'
import { createEdgeDevice, eventually, rest, unixRequest } from './helpers.js'

const LEDGE_BIN = fileURLToPath(new URL('../../cli/bin/ledge.js', import.meta.url))
const AGENT = fileURLToPath(new URL('./fixtures/agent.cjs', import.meta.url))
const SENSOR = fileURLToPath(new URL('./fixtures/sdk-module.cjs', import.meta.url))

function ledge(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LEDGE_BIN, ...args], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

test('ledge edge config mp / start / config apply, with the process runtime and a real hub', async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  await using th = await startTestHub()
  const dir = await mkdtemp(join(tmpdir(), 'ledge-edge-cli-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const key = await createEdgeDevice(th, 'edge-cli')
  const file = join(dir, 'config.toml')
  const home = join(dir, 'home')
  const cs = `HostName=${th.host};DeviceId=edge-cli;SharedAccessKey=${key}`
  const mpArgs = ['edge', 'config', 'mp', '--connection-string', cs, '--config', file, '--home-dir', home, '--hub-ca-cert', testCaFiles().certFile, '--mqtt-port', String(th.hub.mqttPort),
    // No edge hub runs here: the sensor module talks to the hub itself.
    '--module-gateway', 'upstream']

  const mp = await ledge(mpArgs)
  assert.equal(mp.code, 0, mp.stderr)
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  const again = await ledge(mpArgs)
  assert.equal(again.code, 1)
  assert.match(again.stderr, /exists: give --force/)
  assert.equal((await ledge([...mpArgs, '--force'])).code, 0)
  const bad = await ledge(['edge', 'config', 'mp', '--connection-string', 'HostName=x', '--config', join(dir, 'bad.toml')])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /provisioning\.connection_string: device connection string has no DeviceId/)

  // The hub's CA goes into the modules' trust bundle (the SDK then trusts only that bundle).
  await writeFile(file, `trust_bundle_cert = "${testCaFiles().certFile}"\n${await readFile(file, 'utf8')}`)
  await appendFile(file, `
[agent.config]
command = "${process.execPath}"
args = ["${AGENT}"]
[agent.env]
SENSOR_SCRIPT = "${SENSOR}"
MARKER = "first"
`)
  const idle = await ledge(['edge', 'config', 'apply', '--config', file])
  assert.equal(idle.code, 0, idle.stderr)
  assert.match(idle.stderr, /is valid; no edge daemon runs/)

  const log: string[] = []
  const { child: daemon, exited } = spawnLedge(['edge', 'start', '--config', file], log)
  t.after(() => daemon.kill('SIGKILL'))

  try {
    const events = async (moduleId: string): Promise<unknown[] | undefined> => {
      const r = await rest(th, 'GET', `/events/messages?deviceId=edge-cli&moduleId=${encodeURIComponent(moduleId)}`)
      return r.body.events.length ? r.body.events.map((e: { body: unknown }) => e.body) : undefined
    }
    const agentEvents = await eventually(() => events('$edgeAgent'), 30_000, 'the agent event')
    assert.deepEqual(agentEvents[0], { from: '$edgeAgent', marker: 'first' })
    const sensorEvents = await eventually(() => events('sensor'), 30_000, 'the sensor event')
    assert.deepEqual(sensorEvents[0], { from: 'sensor', via: 'workload' })
    assert.equal((await rest(th, 'GET', '/devices/edge-cli/modules/sensor')).body.managedBy, 'IotEdge')

    const mgmt = join(home, 'mgmt.sock')
    const list = await unixRequest(mgmt, 'GET', '/modules?api-version=2022-08-03')
    assert.deepEqual(list.json.modules.map((m: { name: string }) => m.name).sort(), ['edgeAgent', 'sensor'])
    const logs = await unixRequest(mgmt, 'GET', '/modules/edgeAgent/logs?api-version=2022-08-03')
    assert.match(logs.text, /agent sent its event/)

    // Re-read: the agent's settings changed, so the watchdog recreates it with the new env.
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace('MARKER = "first"', 'MARKER = "second"'))
    const applied = await ledge(['edge', 'config', 'apply', '--config', file])
    assert.equal(applied.code, 0, applied.stderr)
    assert.match(applied.stderr, /the edge daemon \(pid \d+\) is re-reading it/)
    await eventually(async () => {
      const e = await events('$edgeAgent')
      return e?.some((b) => (b as { marker: string }).marker === 'second') ? true : undefined
    }, 30_000, 'the recreated agent')
  } catch (err) {
    console.error(log.join(''))
    throw err
  }

  daemon.kill('SIGTERM')
  assert.equal(await exited, 0, log.join(''))
  await assert.rejects(stat(join(home, 'mgmt.sock')), 'sockets are closed')
  await assert.rejects(stat(join(home, 'edged.pid')), 'the pid file is removed')
})
