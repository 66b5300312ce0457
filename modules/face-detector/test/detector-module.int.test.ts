/**
 * The face-detector module as the edge runtime starts it (`node modules/face-detector/bin/face-detector.js`, the
 * unmodified `ModuleClient.fromEnvironment(Mqtt)`), against the real Ledge hub: its workers start under the bin's
 * tsx loader, it reports the settings from its twin and its counters, refuses a bad setting with a reported reason,
 * and stops cleanly on SIGTERM. Frames on its input need the edge hub's routes: the whole chain is the e2e test's.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { privilegedPortProblem, requireEnvironment, startTestHub, testCaFiles } from '@ledge/testkit'
import { eventually, registryOf } from './hub-helpers.js'

const BIN = fileURLToPath(new URL('../bin/face-detector.js', import.meta.url))

test('face-detector module: starts its workers, reports settings and counters, refuses bad settings, stops on SIGTERM', { timeout: 120_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  const th = await startTestHub()
  t.after(() => th.close())
  const registry = registryOf(th)
  await registry.create({ deviceId: 'EdgeCam', status: 'enabled', capabilities: { iotEdge: true } })
  await registry.addModule({ deviceId: 'EdgeCam', moduleId: 'face-detector' })
  const key = (await registry.getModule('EdgeCam', 'face-detector')).responseBody.authentication!.symmetricKey!.primaryKey!
  const twin0 = (await registry.getModuleTwin('EdgeCam', 'face-detector')).responseBody
  await registry.updateModuleTwin('EdgeCam', 'face-detector', { properties: { desired: { workers: 2, forwardThreshold: 2, blur: true } } }, twin0.etag)

  const out: string[] = []
  const child = spawn(process.execPath, [BIN], {
    env: { PATH: process.env.PATH ?? '', EdgeHubConnectionString: th.connectionString('EdgeCam', key, 'face-detector'), EdgeModuleCACertificateFile: testCaFiles().certFile, DETECTOR_REPORT_INTERVAL_MS: '500' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.on('data', (d: Buffer) => out.push(d.toString()))
  child.stderr.on('data', (d: Buffer) => out.push(d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.after(() => child.kill('SIGKILL'))
  const reported = async (): Promise<Record<string, any>> => (await registry.getModuleTwin('EdgeCam', 'face-detector')).responseBody.properties.reported as Record<string, any>
  try {
    const r = await eventually(async () => {
      const rep = await reported()
      return rep.stats?.workers === 2 ? rep : undefined
    }, 60_000, 'the detector to report two workers')
    assert.equal(r.settings.forwardThreshold, 2)
    assert.equal(r.settings.blur, true)
    assert.equal(r.settings.model, 'tiny')
    assert.equal(r.stats.framesReceived, 0)
    assert.match(out.join(''), /"event":"worker.ready".*"backend":"wasm"/)

    const twin = (await registry.getModuleTwin('EdgeCam', 'face-detector')).responseBody
    await registry.updateModuleTwin('EdgeCam', 'face-detector', { properties: { desired: { model: 'yolo' } } }, twin.etag)
    const refused = await eventually(async () => {
      const rep = await reported()
      return rep.settingsError ? rep : undefined
    }, 15_000, 'the settings error')
    assert.match(refused.settingsError, /model/)
    assert.equal(refused.settings.model, 'tiny')

    child.kill('SIGTERM')
    assert.equal(await exited, 0)
  } catch (err) {
    console.error(out.join('').split('\n').slice(-40).join('\n'))
    throw err
  }
})
