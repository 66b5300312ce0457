import { test } from 'node:test'
import assert from 'node:assert/strict'
import { applyDesiredPatch } from './desired-state.js'
import { parseCameraSettings, resolveSettings, SettingsError, sourceChanged } from './settings.js'

const defaults = { source: '/samples' }

test('defaults fill what the twin does not say', () => {
  assert.deepEqual(parseCameraSettings({}, defaults), { source: '/samples', sourceType: 'auto', fps: 5, width: 640, height: 480, jpegQuality: 80 })
  assert.equal(parseCameraSettings({ fps: 0.5, cameraId: 'lobby' }, defaults).fps, 0.5)
})

test('bad settings are named, all at once; unknown keys are refused', () => {
  assert.throws(() => parseCameraSettings({ fps: 0, width: 12.5, jpegQuality: 101, fsp: 3 }, defaults), (err: Error) => {
    assert.ok(err instanceof SettingsError)
    assert.match(err.message, /fps: must be more than 0/)
    assert.match(err.message, /width: must be an integer/)
    assert.match(err.message, /jpegQuality/)
    assert.match(err.message, /unknown setting 'fsp'/)
    return true
  })
})

test('a refused update keeps the previous settings and returns the error', () => {
  const previous = parseCameraSettings({ fps: 2 }, defaults)
  const r = resolveSettings(() => parseCameraSettings({ fps: 1000 }, defaults), previous)
  assert.equal(r.settings, previous)
  assert.match(r.error!, /fps: must be at most 60/)
  assert.equal(resolveSettings(() => parseCameraSettings({ fps: 3 }, defaults), previous).settings.fps, 3)
})

test('twin patches merge; null removes; $version is dropped', () => {
  const full = applyDesiredPatch({}, { fps: 2, width: 320, $version: 3 })
  assert.deepEqual(full, { fps: 2, width: 320 })
  assert.deepEqual(applyDesiredPatch(full, { fps: null, height: 240, $version: 4 }), { width: 320, height: 240 })
})

test('only source, type, size and quality reopen the source', () => {
  const a = parseCameraSettings({}, defaults)
  assert.equal(sourceChanged(a, { ...a, fps: 9 }), false)
  assert.equal(sourceChanged(a, { ...a, width: 320 }), true)
  assert.equal(sourceChanged(a, { ...a, source: '/other' }), true)
})
