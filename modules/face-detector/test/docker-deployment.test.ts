/**
 * deploy/crowd-analytics.docker.json is the process deployment (deploy/crowd-analytics.json) with the camera and the
 * face-detector as containers: it validates; routes, twin settings, start order, restart policies and env are the
 * same; each module runs the image the build script tags (`ledge/<module>:<package version>`, never pulled) with
 * createOptions the Docker runtime accepts, on the host network.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateDeploymentManifest } from '@ledge/protocol'
import { createBody, parseSettings } from '@ledge/runtime-docker'
import { repoRoot } from '@ledge/testkit'
import { parseDetectorSettings } from '../src/settings.js'

const read = (name: string): any => JSON.parse(readFileSync(join(repoRoot, 'deploy', name), 'utf8'))
const docker = read('crowd-analytics.docker.json')
const processes = read('crowd-analytics.json')
const agent = (m: any): any => m.modulesContent.$edgeAgent['properties.desired']
const MODULES = ['camera', 'face-detector']

test('the Docker crowd-analytics deployment validates and has no placeholder left', () => {
  const r = validateDeploymentManifest(docker)
  assert.ok(r.ok, JSON.stringify(r))
  assert.equal(agent(docker).runtime.type, 'docker')
  assert.ok(!JSON.stringify(docker).includes('${'), 'a container finds its files in its image: nothing for the deployer to fill in')
})

test('it deploys what the process deployment does: routes, twins, order, policies, env', () => {
  assert.deepEqual(docker.modulesContent.$edgeHub, processes.modulesContent.$edgeHub)
  // The same twins (modules/camera/test/deployment.test.ts checks the camera's against its schema).
  for (const m of MODULES) assert.deepEqual(docker.modulesContent[m], processes.modulesContent[m], `${m}'s twin`)
  assert.deepEqual(Object.keys(agent(docker).modules).sort(), Object.keys(agent(processes).modules).sort())
  assert.deepEqual(agent(docker).systemModules.edgeHub, agent(processes).systemModules.edgeHub, 'the edge hub stays the built-in process')
  for (const m of MODULES) {
    const d = agent(docker).modules[m]
    const p = agent(processes).modules[m]
    for (const k of ['version', 'status', 'restartPolicy', 'startupOrder', 'env']) assert.deepEqual(d[k], p[k], `${m}.${k}`)
  }
  assert.doesNotThrow(() => parseDetectorSettings(docker.modulesContent['face-detector']['properties.desired']))
})

test('each module is a local image the Docker runtime accepts, on the host network, stopped within its grace', () => {
  for (const m of MODULES) {
    const spec = agent(docker).modules[m]
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'modules', m, 'package.json'), 'utf8'))
    assert.equal(spec.type, 'docker')
    assert.equal(spec.imagePullPolicy, 'never', 'built locally (npm run build:images), never pulled')
    assert.equal(spec.settings.image, `ledge/${m}:${pkg.version}`, 'the tag scripts/build-module-images.ts gives it')
    assert.equal(spec.settings.image, agent(processes).modules[m].settings.image)
    assert.equal(typeof spec.settings.createOptions, 'string', 'createOptions as Azure manifests carry them: a JSON string')
    const config = { name: m, type: 'docker', imagePullPolicy: spec.imagePullPolicy, settings: spec.settings, env: { IOTEDGE_MODULEID: m } }
    const body = createBody(config, parseSettings(config), { containerName: m, runtimeId: 'test', network: 'azure-iot-edge', hostname: 'edge-device' })
    assert.equal(body.HostConfig?.NetworkMode, 'host', 'createOptions choose the host network over the runtime\'s')
    assert.equal(body.HostConfig?.Init, true, 'an init as PID 1: SIGTERM reaches the module before its handler is installed')
    assert.equal((body as { StopTimeout?: number }).StopTimeout, agent(processes).modules[m].settings.stopGraceSeconds, 'the process deployment\'s grace')
    assert.equal(body.Image, spec.settings.image)
  }
})
