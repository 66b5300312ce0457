import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@ledge/common'
import type { Module, ModuleSpec } from '@ledge/protocol'
import { FakeModuleRuntime } from '../test/fake-runtime.js'
import { IdentityManager, type IdentityHub } from './identity/identity-manager.js'
import { ModuleService } from './modules/module-service.js'
import { Watchdog } from './watchdog.js'
import { WorkloadSockets } from './workload/sockets.js'
import { errors } from './errors.js'

/** The hub's module registry, in memory. */
class FakeHub implements IdentityHub {
  modules = new Map<string, Module>()
  down = false
  private n = 0
  private check(): void {
    if (this.down) throw errors.hubUnreachable('test', new Error('down'))
  }
  async getModule(id: string): Promise<Module | undefined> {
    this.check()
    return this.modules.get(id)
  }
  async listModules(): Promise<Module[]> {
    this.check()
    return [...this.modules.values()]
  }
  async createModule(id: string, managedBy: string): Promise<Module> {
    this.check()
    const m = {
      moduleId: id, deviceId: 'd', managedBy, generationId: `gen-${++this.n}`, etag: '1',
      authentication: { type: 'sas', symmetricKey: { primaryKey: Buffer.alloc(32, this.n).toString('base64'), secondaryKey: '' } },
    } as unknown as Module
    this.modules.set(id, m)
    return m
  }
  async updateModule(id: string, managedBy: string): Promise<Module> {
    const m = this.modules.get(id)!
    m.managedBy = managedBy
    return m
  }
  async deleteModule(id: string): Promise<boolean> {
    return this.modules.delete(id)
  }
}

async function setup(t: import('node:test').TestContext, spec: ModuleSpec = { name: 'edgeAgent', type: 'process', config: { settings: { command: 'node' } } }) {
  const dir = await mkdtemp(join(tmpdir(), 'ledge-wd-'))
  const runtime = new FakeModuleRuntime()
  const hub = new FakeHub()
  const log = silentLogger()
  const identities = new IdentityManager({ hub, cacheFile: join(dir, 'ids.json'), log })
  const ca = { trustBundle: () => '', issueServerCertificate: async () => assert.fail(), issueIdentityCertificate: async () => assert.fail() }
  const workload = new WorkloadSockets({ dir: join(dir, 'mnt'), deps: { identities, ca }, log })
  const modules = new ModuleService({
    runtimes: [runtime], identities, workload, agentName: 'edgeAgent', log,
    env: { iothubHostname: 'hub', deviceId: 'd', edgeHostname: 'e', moduleGateway: 'upstream', agentManagementUri: 'unix:///m', agentStateDir: '/a' },
  })
  const make = (s: ModuleSpec = spec): Watchdog => new Watchdog({
    modules, identities, onEvent: (f) => runtime.onEvent(f), agentSpec: s, intervalMs: 60_000, log,
    backoff: { initialMs: 10, maxMs: 40, jitter: 0 },
  })
  t.after(async () => {
    await workload.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { runtime, hub, identities, modules, make }
}

test('creates the agent identity and module, then starts it', async (t) => {
  const { runtime, hub, make } = await setup(t)
  await make().tick()
  assert.equal(hub.modules.get('$edgeAgent')?.managedBy, 'IotEdge')
  assert.deepEqual(runtime.calls, ['create edgeAgent', 'start edgeAgent'])
  assert.equal(runtime.modules.get('edgeAgent')!.config.env.IOTEDGE_MODULEGENERATIONID, 'gen-1')
  await make().tick()
  assert.deepEqual(runtime.calls, ['create edgeAgent', 'start edgeAgent'], 'a running agent with the same config is left alone')
})

test('recreates the agent when its settings change, its identity is recreated, or it is dead', async (t) => {
  const ctx = await setup(t)
  const { runtime, hub, make } = ctx
  await make().tick()
  runtime.calls.length = 0
  await make({ name: 'edgeAgent', type: 'process', config: { settings: { command: 'node', args: ['v2'] } } }).tick()
  assert.deepEqual(runtime.calls, ['stop edgeAgent 10000', 'remove edgeAgent', 'create edgeAgent', 'start edgeAgent'])
  assert.deepEqual(runtime.modules.get('edgeAgent')!.config.settings.args, ['v2'])

  const wd = make({ name: 'edgeAgent', type: 'process', config: { settings: { command: 'node', args: ['v2'] } } })
  hub.modules.delete('$edgeAgent')
  runtime.calls.length = 0
  await wd.tick()
  assert.deepEqual(runtime.calls, ['stop edgeAgent 10000', 'remove edgeAgent', 'create edgeAgent', 'start edgeAgent'])
  assert.equal(runtime.modules.get('edgeAgent')!.config.env.IOTEDGE_MODULEGENERATIONID, 'gen-2')

  // The agent updating itself through the management API is not reverted.
  const { modules } = ctx
  await modules.update({ name: 'edgeAgent', type: 'process', config: { settings: { command: 'node', args: ['self-updated'] } } }, true)
  runtime.calls.length = 0
  await wd.tick()
  assert.deepEqual(runtime.calls, [])
  assert.deepEqual(runtime.modules.get('edgeAgent')!.config.settings.args, ['self-updated'])

  runtime.modules.get('edgeAgent')!.status = 'dead'
  runtime.calls.length = 0
  await wd.tick()
  assert.deepEqual(runtime.calls.slice(-2), ['create edgeAgent', 'start edgeAgent'])
})

test('restarts an agent that exits, with back-off, and uses the cached identity while the hub is down', async (t) => {
  const { runtime, hub, make } = await setup(t)
  const wd = make()
  wd.start()
  t.after(() => wd.stop())
  const starts = (): number => runtime.calls.filter((c) => c === 'start edgeAgent').length
  const until = async (n: number): Promise<void> => {
    for (let i = 0; i < 200 && starts() < n; i++) await new Promise((r) => setTimeout(r, 5))
    assert.ok(starts() >= n, `expected ${n} starts, got ${starts()}`)
  }
  await until(1)
  hub.down = true
  for (let n = 2; n <= 4; n++) {
    runtime.exit('edgeAgent', 1)
    await until(n)
  }
  assert.equal(runtime.modules.get('edgeAgent')!.status, 'running')
})
