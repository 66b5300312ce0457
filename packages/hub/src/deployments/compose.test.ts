import { test } from 'node:test'
import assert from 'node:assert/strict'
import { composeDesired, hasLayeredPaths, layeredPath } from './compose.js'

test('layers set paths inside the base, lowest priority first, without changing their inputs', () => {
  const base = { $edgeAgent: { 'properties.desired': { modules: { a: { v: 1 } }, runtime: { type: 'process' } } }, a: { 'properties.desired': { x: 1 } } }
  const low = { $edgeAgent: { 'properties.desired.modules.b': { v: 2 } }, b: { 'properties.desired': { y: 2 } } }
  const high = { $edgeAgent: { 'properties.desired.modules.b': { v: 3 }, 'properties.desired.modules.a.v': 9 } }
  const frozen = structuredClone([base, low, high])
  const out = composeDesired(base, [low, high])
  assert.deepEqual(out, {
    $edgeAgent: { modules: { a: { v: 9 }, b: { v: 3 } }, runtime: { type: 'process' } },
    a: { x: 1 },
    b: { y: 2 },
  })
  assert.deepEqual([base, low, high], frozen)
})

test('layered keys', () => {
  assert.deepEqual(layeredPath('properties.desired'), [])
  assert.deepEqual(layeredPath('properties.desired.modules.x'), ['modules', 'x'])
  assert.equal(layeredPath('desired'), undefined)
  assert.equal(hasLayeredPaths({ m: { 'properties.desired': {} } }), false)
  assert.equal(hasLayeredPaths({ m: { 'properties.desired.routes.r': 'FROM /messages/* INTO $upstream' } }), true)
})
