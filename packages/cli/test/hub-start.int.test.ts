/**
 * `ledge hub start` as a child process: it writes hub.json, other `ledge` commands log in through it (with the CA it
 * generated), Ctrl-C stops it cleanly, and invalid settings are reported one per line.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { postgresProblem, postgresQuery, postgresSchemaFor, requireEnvironment, TEST_POSTGRES_URL } from '@ledge/testkit'
import { LEDGE_BIN, ledge } from './helpers.js'

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** `ledge hub start` on loopback with free ports, its stderr collected; `stop()` sends Ctrl-C and gives the exit code. */
function startHubCommand(dataDir: string, extra: string[] = []): { stderr: () => string; started: Promise<void>; stop: () => Promise<number | null> } {
  // No NODE_EXTRA_CA_CERTS: the commands must trust the CA the hub generated, named in hub.json.
  const child = spawn(
    process.execPath,
    [LEDGE_BIN, 'hub', 'start', '--data-dir', dataDir, '--hostname', 'localhost', '--bind', '127.0.0.1', '--https-port', '0', '--mqtt-port', '0', '--amqp-port', '0', '--log-level', 'warn', ...extra],
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  child.stdout.resume()
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    stderr: () => stderr,
    started: waitFor(() => stderr.includes('Ctrl-C stops it') || child.exitCode !== null, 30_000, 'the hub to start'),
    stop: () => {
      child.kill('SIGINT')
      return exited
    },
  }
}

test('hub start runs a hub that the other commands reach through its hub.json; Ctrl-C stops it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-cli-start-'))
  const dataDir = join(dir, 'hub')
  const hub = startHubCommand(dataDir)
  const stderr = hub.stderr
  try {
    await hub.started
    assert.match(stderr(), /^hub 'localhost' started$/m, stderr())
    assert.match(stderr(), new RegExp(`^  store +${join(dataDir, 'hub.db').replaceAll('/', '\\/')}$`, 'm'))
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
    assert.equal(await hub.stop(), 0, stderr())
  }
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
    const store = await ledge(['hub', 'start', '--data-dir', dir, '--store', 'mysql://root@127.0.0.1/hub', '--store-schema', 'Hub'])
    assert.equal(store.code, 2)
    assert.deepEqual(store.stderr.trimEnd().split('\n'), [
      'error: --store: must be a postgres://user@host:port/database URL (leave it out for the SQLite file in the data folder)',
      "error: --store-schema: must be lower-case letters, digits and '_', starting with a letter or '_'",
    ])
    const port = await ledge(['hub', 'start', '--data-dir', dir, '--https-port', '70000'])
    assert.equal(port.code, 2)
    assert.equal(port.stderr, 'error: --https-port must be at most 65535, not 70000\n')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('hub start --store keeps the registry in PostgreSQL, and names the store without its password', async (t: TestContext) => {
  if (!requireEnvironment(t, await postgresProblem())) return
  const schema = postgresSchemaFor(t)
  const dir = await mkdtemp(join(tmpdir(), 'ledge-cli-start-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'hub')
  const url = new URL(TEST_POSTGRES_URL)
  url.password = 'unused-by-trust-auth'
  const hub = startHubCommand(dataDir, ['--store', url.toString(), '--store-schema', schema])
  try {
    await hub.started
    assert.match(hub.stderr(), new RegExp(`^  store +postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:5432/test \\(schema ${schema}\\)$`, 'm'), hub.stderr())
    assert.doesNotMatch(hub.stderr(), /unused-by-trust-auth/)
    const created = await ledge(['hub', 'device-identity', 'create', '-d', 'in-postgres', '--data-dir', dataDir], { env: { NODE_EXTRA_CA_CERTS: '' } })
    assert.equal(created.code, 0, created.stderr)
    assert.deepEqual(await postgresQuery(`SELECT device_id, status FROM ${schema}.identities WHERE module_id = ''`), [{ device_id: 'in-postgres', status: 'enabled' }])
    assert.equal(existsSync(join(dataDir, 'hub.db')), false, 'no SQLite file beside it')
  } finally {
    assert.equal(await hub.stop(), 0, hub.stderr())
  }
})

test('hub start with a PostgreSQL that cannot be reached exits with one line that says where it looked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-cli-start-'))
  try {
    const r = await ledge(['hub', 'start', '--data-dir', dir, '--bind', '127.0.0.1', '--https-port', '0', '--mqtt-port', '0', '--store', 'postgres://hub:s3cret@127.0.0.1:9/ledge'])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /^error: PostgreSQL at postgres:\/\/hub:\*\*\*@127\.0\.0\.1:9\/ledge: .*ECONNREFUSED/)
    assert.doesNotMatch(r.stderr, /s3cret/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
