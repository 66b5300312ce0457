import { test } from 'node:test'
import assert from 'node:assert/strict'
import { configurationRecord } from '@ledge/storage/testing'
import { configurationsByModule } from './configuration-status.js'

const desired = { 'properties.desired': {} }

test('every targeting deployment is on $edgeAgent; other modules list the deployments that address them', () => {
  const base = configurationRecord('base', { modulesContent: { $edgeAgent: desired, $edgeHub: desired } })
  const older = configurationRecord('older', { modulesContent: { $edgeAgent: desired, $edgeHub: desired, camera: desired } })
  const layer = configurationRecord('layer', { layered: true, modulesContent: { logger: desired } })
  const sections = configurationsByModule([base, older, layer], new Set(['base', 'layer']))
  assert.deepEqual(Object.fromEntries(sections), {
    $edgeAgent: { base: { status: 'Applied' }, older: { status: 'Targeted' }, layer: { status: 'Applied' } },
    $edgeHub: { base: { status: 'Applied' }, older: { status: 'Targeted' } },
    camera: { older: { status: 'Targeted' } },
    logger: { layer: { status: 'Applied' } },
  })
})

test('nothing targeted: no sections', () => {
  assert.equal(configurationsByModule([], new Set()).size, 0)
})
