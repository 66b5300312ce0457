import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@ledge/common'
import { BackupDesiredSource } from '../src/desired/backup-desired-source.js'
import { StaticDesiredSource } from '../src/desired/desired-source.js'
import { loadConfig } from '../src/config.js'
import { Wakeup } from '../src/wakeup.js'
import { manifest } from './helpers.js'

test('the backup keeps the last valid deployment (with schemaVersion) and serves it when the hub has none', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-agent-'))
  try {
    const file = join(dir, 'state', 'backup.json')
    const inner = new StaticDesiredSource({ version: 3, desired: { ...manifest(), $version: 3, $metadata: {} }, source: 'twin' })
    const backup = new BackupDesiredSource({ inner, file, log: silentLogger() })
    assert.equal((await backup.get()).source, 'twin')
    const saved = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(saved.schemaVersion, '1.0')
    assert.equal(saved.version, 3)
    assert.equal(saved.desired.$version, undefined)

    // A bad deployment does not replace it.
    inner.set({ version: 4, desired: { schemaVersion: '9.9' }, source: 'twin' })
    await backup.get()
    assert.equal(JSON.parse(await readFile(file, 'utf8')).version, 3)

    // A fresh start with the hub unreachable: the backup is served.
    const offline = new BackupDesiredSource({ inner: new StaticDesiredSource(undefined), file, log: silentLogger() })
    const doc = await offline.get()
    assert.equal(doc.source, 'backup')
    assert.equal(doc.version, 3)
    // No backup at all: the inner error.
    await rm(file)
    await assert.rejects(new BackupDesiredSource({ inner: new StaticDesiredSource(undefined), file, log: silentLogger() }).get(), /no deployment/)
    await writeFile(file, JSON.stringify({ schemaVersion: '7', version: 1, desired: {} }))
    await assert.rejects(new BackupDesiredSource({ inner: new StaticDesiredSource(undefined), file, log: silentLogger() }).get(), /no deployment/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('the wake-up coalesces notifications and ends early', async () => {
  const w = new Wakeup()
  const ac = new AbortController()
  w.notify()
  w.notify()
  const t0 = Date.now()
  await w.wait(10_000, ac.signal)
  const pending = w.wait(10_000, ac.signal)
  setTimeout(() => w.notify(), 10)
  await pending
  setTimeout(() => ac.abort(), 10)
  await w.wait(10_000, ac.signal)
  assert.ok(Date.now() - t0 < 2_000)
})

test('settings from the environment: every problem at once', () => {
  const env = {
    IOTEDGE_MANAGEMENTURI: 'unix:///run/ledge/mgmt.sock', IOTEDGE_WORKLOADURI: 'unix:///run/ledge/workload.sock', IOTEDGE_DEVICEID: 'd1',
    IOTEDGE_MODULEID: '$edgeAgent', IOTEDGE_IOTHUBHOSTNAME: 'hub', IOTEDGE_AUTHSCHEME: 'sasToken', IOTEDGE_MODULEGENERATIONID: 'g',
    LEDGE_AGENT_STATE_DIR: '/var/lib/ledge/agent', LEDGE_AGENT_RECONCILE_INTERVAL_MS: '1000',
  }
  const c = loadConfig(env)
  assert.equal(c.reconcileIntervalMs, 1000)
  assert.equal(c.reconcileTimeoutMs, 600_000)
  assert.equal(c.stateDir, '/var/lib/ledge/agent')
  assert.throws(() => loadConfig({ IOTEDGE_MANAGEMENTURI: 'ftp://x', IOTEDGE_MODULEID: 'camera', LEDGE_AGENT_RECONCILE_INTERVAL_MS: '-1' }), (err: Error) =>
    /IOTEDGE_MANAGEMENTURI/.test(err.message) && /LEDGE_AGENT_RECONCILE_INTERVAL_MS/.test(err.message) && /IOTEDGE_WORKLOADURI: is required/.test(err.message) && /expected \$edgeAgent/.test(err.message))
  assert.equal(loadConfig({ IOTEDGE_MANAGEMENTURI: 'http://127.0.0.1:1', EdgeHubConnectionString: 'HostName=h;DeviceId=d;ModuleId=$edgeAgent;SharedAccessKey=a2V5' }).managementUri, 'http://127.0.0.1:1')
})
