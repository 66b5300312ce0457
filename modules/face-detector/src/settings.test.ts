import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultWorkers, parseDetectorSettings, resolveDetectorSettings, SettingsError } from './settings.js'

test('defaults: the tiny detector, threshold 0.6, forward frames with a face, one worker per core', () => {
  const s = parseDetectorSettings({})
  assert.deepEqual({ ...s, workers: 0 }, { model: 'tiny', scoreThreshold: 0.6, inputSize: 416, minFaceSize: 20, forwardThreshold: 1, forwardPolicy: 'threshold', blur: false, workers: 0, maxQueue: 8 })
  assert.equal(s.workers, defaultWorkers())
  assert.equal(defaultWorkers(2), 2)
  assert.equal(defaultWorkers(1), 1)
  assert.equal(defaultWorkers(64), 4)
})

test('every bad setting is named; unknown ones are refused', () => {
  assert.throws(() => parseDetectorSettings({ model: 'yolo', scoreThreshold: 2, inputSize: 400, workers: 0, blurr: true }), (err: Error) => {
    assert.ok(err instanceof SettingsError)
    for (const re of [/model/, /scoreThreshold/, /inputSize: must be a multiple of 32/, /workers/, /unknown setting 'blurr'/]) assert.match(err.message, re)
    return true
  })
})

test('a refused update keeps the previous settings', () => {
  const prev = parseDetectorSettings({ model: 'ssd' })
  const r = resolveDetectorSettings({ forwardPolicy: 'sometimes' }, prev)
  assert.equal(r.settings, prev)
  assert.match(r.error!, /forwardPolicy/)
  assert.equal(resolveDetectorSettings({ forwardThreshold: 3 }, prev).settings.forwardThreshold, 3)
})

test('the settings in deploy/crowd-analytics.json are valid', async () => {
  const { readFile } = await import('node:fs/promises')
  const manifest = JSON.parse(await readFile(new URL('../../../deploy/crowd-analytics.json', import.meta.url), 'utf8'))
  assert.doesNotThrow(() => parseDetectorSettings(manifest.modulesContent['face-detector']['properties.desired']))
})
