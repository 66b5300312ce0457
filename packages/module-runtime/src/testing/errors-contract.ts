/** Errors: the codes of the port's TSDoc, and that a refused call changes nothing. */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { RuntimeCase } from './harness.js'
import { collect, hasCode } from './wait.js'

export function errorsContract(test: RuntimeCase): void {
  describe('errors', () => {
    test('create of an existing name: ERR_MODULE_EXISTS, and the first module is untouched', async (s) => {
      const first = { ...s.config('m1', { kind: 'sleep' }), labels: { v: '1' } }
      await s.runtime.create(first)
      await s.runtime.start('m1')
      const before = await s.runtime.get('m1')
      await assert.rejects(s.runtime.create({ ...s.config('m1', { kind: 'sleep' }), labels: { v: '2' } }), hasCode('ERR_MODULE_EXISTS'))
      assert.deepEqual(await s.runtime.get('m1'), before)
    })

    test('unknown names: ERR_MODULE_NOT_FOUND from start, stop, restart, remove and logs', async (s) => {
      await assert.rejects(s.runtime.start('nobody'), hasCode('ERR_MODULE_NOT_FOUND'))
      await assert.rejects(s.runtime.stop('nobody'), hasCode('ERR_MODULE_NOT_FOUND'))
      await assert.rejects(s.runtime.restart('nobody'), hasCode('ERR_MODULE_NOT_FOUND'))
      await assert.rejects(s.runtime.remove('nobody'), hasCode('ERR_MODULE_NOT_FOUND'))
      await assert.rejects(async () => collect(s.runtime.logs('nobody')), hasCode('ERR_MODULE_NOT_FOUND'))
      assert.equal(await s.runtime.get('nobody'), undefined)
    })

    test('a config for another runtime type: ERR_MODULE_INVALID naming `type`, nothing created', async (s) => {
      const config = { ...s.config('m1', { kind: 'sleep' }), type: 'no-such-runtime' }
      await assert.rejects(s.runtime.create(config), hasCode('ERR_MODULE_INVALID', 'type'))
      assert.equal(await s.runtime.get('m1'), undefined)
    })

    test('names that cannot be module names: ERR_MODULE_INVALID naming `name`', async (s) => {
      for (const name of ['', 'a/b', '..', ' m1', 'm\n1']) {
        await assert.rejects(s.runtime.create(s.config(name, { kind: 'sleep' })), hasCode('ERR_MODULE_INVALID', 'name'), JSON.stringify(name))
      }
      assert.deepEqual(await s.runtime.list(), [])
    })

    test('invalid settings: ERR_MODULE_INVALID naming the setting, nothing created', async (s, t) => {
      const cases = s.options.invalidConfigs?.('bad') ?? []
      if (cases.length === 0) return t.skip('the adapter gives no invalidConfigs')
      for (const { config, setting } of cases) {
        await assert.rejects(s.runtime.create(config), hasCode('ERR_MODULE_INVALID', setting), `setting ${setting}: ${JSON.stringify(config)}`)
        assert.equal(await s.runtime.get(config.name), undefined)
      }
    })
  })
}
