import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ModuleConfig } from '@ledge/module-runtime'
import { childEnv, DEFAULT_PATH } from '../src/child-env.js'
import { resolveLaunch } from '../src/settings.js'

let dir: string
const config = (settings: Record<string, unknown>, env: Record<string, string> = {}): ModuleConfig => ({ name: 'm', type: 'process', settings, env })

describe('process module settings', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledge-settings-'))
    await mkdir(join(dir, 'bin'))
    await mkdir(join(dir, 'work'))
    await writeFile(join(dir, 'bin', 'tool'), '#!/bin/sh\n')
    await chmod(join(dir, 'bin', 'tool'), 0o755)
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('resolves relative paths against modulesDir, and bare names in the module PATH', async () => {
    const rel = await resolveLaunch(config({ command: 'bin/tool', workingDir: 'work', args: ['-x'] }), dir)
    assert.deepEqual(rel, { file: join(dir, 'bin', 'tool'), args: ['-x'], cwd: join(dir, 'work'), env: rel.env, graceMs: 10_000 })
    const found = await resolveLaunch(config({ command: 'tool', stopGraceSeconds: 1.5 }, { PATH: `/nonexistent:${join(dir, 'bin')}` }), dir)
    assert.equal(found.file, join(dir, 'bin', 'tool'))
    assert.equal(found.cwd, dir, 'the working directory defaults to modulesDir')
    assert.equal(found.graceMs, 1500)
    assert.equal((await resolveLaunch(config({ command: 'sh' }), undefined)).cwd, '/')
  })

  it('refuses relative paths without a modulesDir', async () => {
    await assert.rejects(resolveLaunch(config({ command: 'bin/tool' }), undefined), /settings.command 'bin\/tool' is relative/)
    await assert.rejects(resolveLaunch(config({ command: 'sh', workingDir: 'work' }), undefined), /settings.workingDir 'work' is relative/)
  })

  it('reports every problem at once, each naming its setting', async () => {
    const err = await resolveLaunch({ name: 'a/b', type: 'docker', settings: { command: '', args: [1], stopGraceSeconds: 'x', image: 3 }, env: { '': 'x' } }, dir).then(
      () => assert.fail('accepted'),
      (e: { code: string; message: string; details: { settings: string[] } }) => e,
    )
    assert.equal(err.code, 'ERR_MODULE_INVALID')
    assert.deepEqual(err.details.settings, ['name', 'type', 'settings.command', 'settings.args', 'settings.stopGraceSeconds', 'settings.image', 'env.'])
    const paths = await resolveLaunch(config({ command: 'no-such-tool', workingDir: '/no/such/dir' }), dir).catch((e: { details: { settings: string[] } }) => e.details.settings)
    assert.deepEqual(paths, ['settings.workingDir', 'settings.command'])
  })

  it('the module environment: an allow-list of the daemon’s, then the config’s', () => {
    const env = childEnv({ TZ: 'UTC', OWN: '1' }, { PATH: '/p', HOME: '/h', LC_ALL: 'C', TZ: 'Europe/Paris', NODE_OPTIONS: '--inspect', SECRET: 's', NODE_TEST_CONTEXT: 'child' })
    assert.deepEqual(env, { PATH: '/p', HOME: '/h', LC_ALL: 'C', TZ: 'UTC', OWN: '1' })
    assert.equal(childEnv({}, {}).PATH, DEFAULT_PATH)
  })
})
