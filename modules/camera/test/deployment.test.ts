/**
 * deploy/crowd-analytics.json is a valid deployment (once `${LEDGE_ROOT}` is replaced by the repository's path, as
 * Azure's deployment.template.json placeholders are), its routes parse, and the twins' settings are valid for the
 * modules they configure.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseRoute, validateDeploymentManifest } from '@ledge/protocol'
import { repoRoot } from '@ledge/testkit'
import { parseCameraSettings } from '../src/settings.js'

const text = readFileSync(join(repoRoot, 'deploy', 'crowd-analytics.json'), 'utf8')
const manifest = JSON.parse(text.replaceAll('${LEDGE_ROOT}', repoRoot))

test('the crowd-analytics deployment validates, and its routes parse', () => {
  const r = validateDeploymentManifest(manifest)
  assert.ok(r.ok, JSON.stringify(r))
  const routes = manifest.modulesContent.$edgeHub['properties.desired'].routes as Record<string, { route: string }>
  for (const [name, spec] of Object.entries(routes)) assert.doesNotThrow(() => parseRoute(spec.route), name)
  assert.ok(text.includes('${LEDGE_ROOT}'), 'paths are left for the deployer to fill in')
})

test('the camera twin settings in the deployment are valid camera settings', () => {
  assert.doesNotThrow(() => parseCameraSettings(manifest.modulesContent.camera['properties.desired'], {}))
})
