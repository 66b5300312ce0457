/**
 * The ModuleRuntime contract against a real Docker engine: each case gets a runtime of its own (unique runtime id and
 * container names, host networking) and `reopen` opens another on the same engine and state (a daemon restart:
 * running containers are adopted). Without an engine the suite is skipped outside CI and fails in CI.
 */
import { test } from 'node:test'
import { runModuleRuntimeContract } from '@ledge/module-runtime/testing'
import { requireEnvironment } from '@ledge/testkit'
import { connect } from '../src/index.js'
import { behaviourModule, buildNodeImage, dockerProblem, TEST_DOCKER_URI, testRuntime } from '../src/testing/index.js'

const problem = await dockerProblem()
if (problem) {
  test('ModuleRuntime contract: docker', (t) => void requireEnvironment(t, problem))
} else {
  const image = await buildNodeImage(connect(TEST_DOCKER_URI), { name: 'node' })
  runModuleRuntimeContract({
    name: 'docker',
    create: async () => {
      const rt = await testRuntime()
      return { runtime: rt.runtime, reopen: rt.reopen, cleanup: rt.cleanup }
    },
    moduleConfig: (name, behaviour) => behaviourModule(image, name, behaviour),
    invalidConfigs: (name) => {
      const base = behaviourModule(image, name, { kind: 'sleep' })
      const withSettings = (settings: Record<string, unknown>) => ({ ...base, settings: { ...base.settings, ...settings } })
      return [
        { config: withSettings({ image: '' }), setting: 'settings.image' },
        { config: withSettings({ image: 42 }), setting: 'settings.image' },
        { config: withSettings({ image: '127.0.0.1:9/ledge-test/absent:1' }), setting: 'settings.image' },
        { config: withSettings({ createOptions: '{"Cmd": ' }), setting: 'settings.createOptions' },
        { config: withSettings({ createOptions: '[1]' }), setting: 'settings.createOptions' },
        { config: withSettings({ createOptions: '{"Cmd": 5}' }), setting: 'settings.createOptions.Cmd' },
        { config: withSettings({ createOptions: '{"HostConfig": {"Binds": "/a:/b"}}' }), setting: 'settings.createOptions.HostConfig.Binds' },
        { config: withSettings({ createOptions: '{"HostConfig": {"Binds": [":"]}}' }), setting: 'settings.createOptions' },
        { config: { ...base, settings: { image: base.settings.image, createOptions01: '{}' } }, setting: 'settings.createOptions01' },
        { config: withSettings({ createOptions01: 7 }), setting: 'settings.createOptions01' },
        { config: { ...base, imagePullPolicy: 'sometimes' as never }, setting: 'imagePullPolicy' },
        { config: { ...base, env: { 'A=B': 'x' } }, setting: 'env.A=B' },
      ]
    },
  })
}
