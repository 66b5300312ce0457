/**
 * `ledge hub start` as a child process: it writes hub.json, other `ledge` commands log in through it (with the CA it
 * generated), Ctrl-C stops it cleanly, and invalid settings are reported one per line.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LEDGE_BIN, ledge } from './helpers.js'

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

test('hub start runs a hub that the other commands reach through its hub.json; Ctrl-C stops it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-cli-start-'))
  const dataDir = join(dir, 'hub')
  // No NODE_EXTRA_CA_CERTS: the commands must trust the CA the hub generated, named in hub.json.
  const child = spawn(
    process.execPath,
    [LEDGE_BIN, 'hub', 'start', '--data-dir', dataDir, '--hostname', 'localhost', '--bind', '127.0.0.1', '--https-port', '0', '--mqtt-port', '0', '--amqp-port', '0', '--log-level', 'warn'],
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  child.stdout.resume()
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  try {
    await waitFor(() => stderr.includes('Ctrl-C stops it') || child.exitCode !== null, 30_000, 'the hub to start')
    assert.match(stderr, /^hub 'localhost' started$/m, stderr)
    const hubJson = join(dataDir, 'hub.json')
    assert.ok(existsSync(hubJson))
    assert.equal(statSync(hubJson).mode & 0o777, 0o600)

    const env = { LEDGE_HUB_DATA_DIR: dataDir }
    const created = await ledge(['hub', 'device-identity', 'create', '-d', 'started-1', '-o', 'json'], { env: { ...env, NODE_EXTRA_CA_CERTS: '' } })
    assert.equal(created.code, 0, created.stderr)
    const list = await ledge(['hub', 'device-identity', 'list', '--data-dir', dataDir])
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /^started-1\s+enabled/m)
  } finally {
    child.kill('SIGINT')
  }
  assert.equal(await exited, 0, stderr)
  // The hub is gone: the next command says so in one line.
  const after = await ledge(['hub', 'device-identity', 'list', '--data-dir', dataDir])
  assert.equal(after.code, 1)
  assert.match(after.stderr, /^error: cannot connect to the hub at 127\.0\.0\.1:\d+: connection refused: the hub is not running/)
  await rm(dir, { recursive: true, force: true })
})

test('hub start reports every invalid setting on its own line, with the flag name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-cli-start-'))
  try {
    const r = await ledge(['hub', 'start', '--data-dir', dir, '--bind', 'not-an-ip', '--log-level', 'loud'])
    assert.equal(r.code, 2)
    const lines = r.stderr.trimEnd().split('\n')
    assert.equal(lines.length, 2, r.stderr)
    assert.match(lines[0]!, /^error: --bind: /)
    assert.match(lines[1]!, /^error: --log-level: /)
    // The cross-field checks run once every field is valid (zod's refinements).
    const pair = await ledge(['hub', 'start', '--data-dir', dir, '--ca-cert', join(dir, 'ca.pem')])
    assert.equal(pair.code, 2)
    assert.equal(pair.stderr, 'error: --ca-cert: give both --ca-cert and --ca-key, or neither\n')
    const port = await ledge(['hub', 'start', '--data-dir', dir, '--https-port', '70000'])
    assert.equal(port.code, 2)
    assert.equal(port.stderr, 'error: --https-port must be at most 65535, not 70000\n')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
