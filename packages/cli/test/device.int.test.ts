/**
 * The device commands (`ledge list|logs|restart|check|system|support-bundle|version`) against a REAL edge device: a
 * test hub, `ledge edge start` with the process runtime and the real edge agent, and the heartbeat module deployed
 * through the hub. One daemon for the whole file: each CLI call costs about a second.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPromise } from 'yauzl'
import { privilegedPortProblem, requireEnvironment, startTestHub, type TestHub } from '@ledge/testkit'
import { LEDGE_BIN, ledge } from './helpers.js'
import { deployment, eventually, heartbeat, mgmt, rest, startEdgeDevice, type EdgeDevice } from './edge-device.js'

async function unzip(file: string): Promise<Map<string, string>> {
  const zip = await openPromise(file, { lazyEntries: true })
  const out = new Map<string, string>()
  try {
    for await (const entry of zip.eachEntry()) {
      const stream = await zip.openReadStreamPromise(entry)
      const chunks: Buffer[] = []
      for await (const c of stream) chunks.push(c as Buffer)
      out.set(entry.fileName, Buffer.concat(chunks).toString('utf8'))
    }
  } finally {
    zip.close()
  }
  return out
}

type Module = { name: string; status: { startTime?: string; runtimeStatus: { status: string } } }

test('device commands against a real daemon: list, logs, restart, check, support-bundle, system, errors', { timeout: 300_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  const dir = await mkdtemp(join(tmpdir(), 'ledge-device-cli-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const th: TestHub = await startTestHub()
  t.after(() => th.close())
  const deviceId = 'EdgeCli'
  const created = await rest(th, 'PUT', `/devices/${deviceId}`, { deviceId, capabilities: { iotEdge: true } })
  const key = created.body.authentication.symmetricKey.primaryKey as string
  let dev: EdgeDevice | undefined
  t.after(() => dev?.daemon.kill('SIGKILL'))
  dev = await startEdgeDevice(th, deviceId, key, dir)
  const { config, socket } = dev
  const cfg = ['--config', config]
  try {
    assert.equal((await rest(th, 'POST', `/devices/${deviceId}/applyConfigurationContent`, deployment({ heartbeat }))).status, 204)
    const hb = await eventually(async () => {
      const mods = (await mgmt(socket, '/modules')).json.modules as Module[]
      const m = mods.find((x) => x.name === 'heartbeat')
      if (m?.status.runtimeStatus.status !== 'running') return undefined
      const log = await mgmt(socket, '/modules/heartbeat/logs')
      return log.text.includes('connected') ? m : undefined
    }, 90_000, 'the heartbeat module to run and connect')

    // list: iotedge's columns; -o json is the daemon's ModuleDetails.
    const list = await ledge(['list', ...cfg])
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /^NAME\s+STATUS\s+DESCRIPTION\s+CONFIG\n/)
    assert.match(list.stdout, /\nheartbeat\s+running\s+Up [^\n]+heartbeat\.mjs\n/)
    assert.match(list.stdout, /\nedgeAgent\s+running\s+Up /)
    const listJson = await ledge(['list', '-o', 'json', ...cfg])
    assert.deepEqual((JSON.parse(listJson.stdout) as Module[]).map((m) => m.name), ['edgeAgent', 'edgeHub', 'heartbeat'])

    // logs --tail: the module's own line.
    const logs = await ledge(['logs', 'heartbeat', '--tail', '5', '--since', '1h', ...cfg])
    assert.equal(logs.code, 0, logs.stderr)
    assert.match(logs.stdout, /heartbeat module heartbeat connected/)

    // logs -f follows across a restart until Ctrl-C (exit 0); restart prints the name.
    const follow = spawn(process.execPath, [LEDGE_BIN, 'logs', 'heartbeat', '-f', '--tail', '1', '-H', `unix://${socket}`], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let followed = ''
    follow.stdout.setEncoding('utf8').on('data', (s: string) => (followed += s))
    const followExit = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)))
    await eventually(async () => (followed.includes('connected') ? true : undefined), 30_000, 'logs -f to print the last line')
    const restart = await ledge(['restart', 'heartbeat', ...cfg])
    assert.equal(restart.code, 0, restart.stderr)
    assert.equal(restart.stdout, 'heartbeat\n')
    await eventually(async () => {
      const m = ((await mgmt(socket, '/modules')).json.modules as Module[]).find((x) => x.name === 'heartbeat')
      return m?.status.startTime !== hb.status.startTime && m?.status.runtimeStatus.status === 'running' ? m : undefined
    }, 30_000, 'a new start of heartbeat')
    await eventually(async () => (followed.match(/connected/g)?.length === 2 ? true : undefined), 60_000, 'logs -f to print the restarted module\'s line')
    follow.kill('SIGINT')
    assert.equal(await followExit, 0)

    const unknown = await ledge(['restart', 'nope', ...cfg])
    assert.equal(unknown.code, 1)
    assert.equal(unknown.stderr, "error: module 'nope' does not exist\n")

    // check: config, daemon and hub checks pass against the real hub.
    const check = await ledge(['check', '-o', 'json', ...cfg])
    const report = JSON.parse(check.stdout) as { checks: { id: string; result: string; details: string[] }[] }
    const result = (id: string): string | undefined => report.checks.find((c) => c.id === id)?.result
    for (const id of ['config-file', 'management-socket', 'hub-https', 'hub-mqtt', 'host-time', 'edge-ca', 'modules']) {
      assert.equal(result(id), 'ok', `${id}: ${JSON.stringify(report.checks.find((c) => c.id === id))}`)
    }
    // The test CA is reused until a week before it expires, so under 30 days it is (rightly) a warning.
    assert.match(result('trust-bundle') ?? '', /^(ok|warning)$/)
    assert.equal(check.code, 0, check.stderr)
    const text = await ledge(['check', ...cfg])
    assert.match(text.stdout, /^✓ config file is valid$/m)
    assert.match(text.stdout, /^Summary: \d+ ok, /m)

    // support-bundle: the files, and the device key nowhere in them.
    const bundleFile = join(dir, 'bundle.zip')
    const bundle = await ledge(['support-bundle', '--output', bundleFile, '--since', '10m', ...cfg])
    assert.equal(bundle.code, 0, bundle.stderr)
    assert.equal(bundle.stdout, `${bundleFile}\n`)
    const files = await unzip(bundleFile)
    for (const name of ['check.json', 'modules.json', 'systeminfo.json', 'config.toml', 'system-status.json', 'logs/heartbeat_log.txt', 'logs/edgeAgent_log.txt']) {
      assert.ok(files.has(name), `${name} in ${[...files.keys()].join(', ')}`)
    }
    assert.match(files.get('logs/heartbeat_log.txt')!, /^\d{4}-\d\d-\d\dT\S+ heartbeat module heartbeat connected$/m)
    assert.match(files.get('config.toml')!, /SharedAccessKey=<redacted>/)
    for (const [name, content] of files) assert.ok(!content.includes(key), `the device key is in ${name}`)

    // system status: the daemon's pid (the `ledge edge start` process), version, modules.
    const status = await ledge(['system', 'status', '-o', 'json', ...cfg])
    assert.equal(status.code, 0, status.stderr)
    const s = JSON.parse(status.stdout) as { running: boolean; pid: number; version: string; modules: { total: number } }
    assert.equal(s.running, true)
    assert.equal(s.pid, dev.daemon.pid)
    assert.equal(s.modules.total, 3)

    // version adds the daemon's.
    assert.match((await ledge(['version', ...cfg])).stdout, /^edge daemon \d+\.\d+\.\d+ \(unix:\/\/.*mgmt\.sock\)$/m)

    // system restart: not under systemd, so it stops the daemon and says how to start it.
    const sysRestart = await ledge(['system', 'restart', ...cfg], { timeoutMs: 90_000 })
    assert.equal(sysRestart.code, 1)
    assert.match(sysRestart.stderr, /^error: the edge daemon \(pid \d+\) stopped, but it cannot restart itself .*: ledge edge start --config .*config\.toml$/m)
    assert.equal(await dev.exited, 0)

    // No daemon: one line naming the socket.
    const down = await ledge(['list', ...cfg])
    assert.equal(down.code, 1)
    assert.equal(down.stderr.split('\n').filter(Boolean).length, 1, down.stderr)
    assert.ok(down.stderr.startsWith('error: ') && down.stderr.includes(`unix://${socket}`), down.stderr)
  } catch (err) {
    console.error(dev.log.join('').split('\n').slice(-60).join('\n'))
    throw err
  }
})
