import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runModuleRuntimeContract } from '@ledge/module-runtime/testing'
import { ProcessModuleRuntime } from '../src/index.js'
import { nodeModule } from './node-modules.js'

runModuleRuntimeContract({
  name: 'process',
  create: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledge-rt-process-'))
    const modulesDir = join(dir, 'modules-dir')
    await mkdir(modulesDir)
    await writeFile(join(modulesDir, 'data.txt'), 'not a program\n', { mode: 0o644 })
    const open = () => ProcessModuleRuntime.open({ stateDir: join(dir, 'state'), modulesDir })
    return { runtime: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }) }
  },
  moduleConfig: nodeModule,
  invalidConfigs: (name) => {
    const base = nodeModule(name, { kind: 'sleep' })
    const withSettings = (settings: Record<string, unknown>) => ({ ...base, settings: { ...base.settings, ...settings } })
    return [
      { config: withSettings({ command: '' }), setting: 'command' },
      { config: withSettings({ command: 42 }), setting: 'command' },
      { config: withSettings({ command: 'ledge-no-such-binary' }), setting: 'command' },
      { config: withSettings({ command: './missing.sh' }), setting: 'command' },
      { config: withSettings({ command: './data.txt' }), setting: 'command' },
      { config: withSettings({ command: '/' }), setting: 'command' },
      { config: withSettings({ workingDir: '/no/such/dir' }), setting: 'workingDir' },
      { config: withSettings({ args: 'not-an-array' }), setting: 'args' },
      { config: withSettings({ stopGraceSeconds: -1 }), setting: 'stopGraceSeconds' },
      { config: { ...base, env: { 'A=B': 'x' } }, setting: 'env.A=B' },
    ]
  },
})
