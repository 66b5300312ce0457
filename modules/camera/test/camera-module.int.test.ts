/**
 * The camera module as the edge runtime starts it (`node modules/camera/bin/camera.js`, the unmodified
 * `ModuleClient.fromEnvironment(Mqtt)`), against the real Ledge hub: its frames reach the hub's events stream on
 * output `frames` with their properties, twin settings apply live and are reported, a bad setting is refused and
 * reported, and SIGTERM stops it cleanly. The edge hub is not in this test: the module connects to the hub directly
 * with EdgeHubConnectionString (the SDK's documented alternative to the IOTEDGE_* workload variables).
 * The leaf camera (`runLeafCamera`) sends the same frames as device telemetry.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import sharp from 'sharp'
import { createLogger, silentLogger } from '@ledge/common'
import { privilegedPortProblem, requireEnvironment, startTestHub, testCaFiles } from '@ledge/testkit'
import { runLeafCamera } from '../src/leaf.js'
import { CAMERA_PACKAGE_DIR } from '../src/source-path.js'
import { ensureSamples } from './helpers.js'
import { eventually, events, registryOf } from './hub-helpers.js'

const BIN = join(CAMERA_PACKAGE_DIR, 'bin', 'camera.js')

test('camera module: frames reach the hub; twin settings apply live, bad ones are refused and reported', { timeout: 120_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  const samples = ensureSamples()
  const th = await startTestHub()
  t.after(() => th.close())
  const registry = registryOf(th)
  await registry.create({ deviceId: 'EdgeCam', status: 'enabled', capabilities: { iotEdge: true } })
  await registry.addModule({ deviceId: 'EdgeCam', moduleId: 'camera' })
  const mod = (await registry.getModule('EdgeCam', 'camera')).responseBody
  const key = mod.authentication!.symmetricKey!.primaryKey!
  // Settings as a deployment would put them in the module twin before the module starts.
  const twin0 = (await registry.getModuleTwin('EdgeCam', 'camera')).responseBody
  await registry.updateModuleTwin('EdgeCam', 'camera', { properties: { desired: { source: join(samples, 'faces'), fps: 4, width: 320, height: 240, jpegQuality: 70 } } }, twin0.etag)

  const out: string[] = []
  const child = spawn(process.execPath, [BIN], {
    env: { PATH: process.env.PATH ?? '', EdgeHubConnectionString: th.connectionString('EdgeCam', key, 'camera'), EdgeModuleCACertificateFile: testCaFiles().certFile, CAMERA_REPORT_INTERVAL_MS: '500', LEDGE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.on('data', (d: Buffer) => out.push(d.toString()))
  child.stderr.on('data', (d: Buffer) => out.push(d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.after(() => child.kill('SIGKILL'))
  try {
    // 1. Frames arrive on output `frames`, as JPEGs of the configured size, with their properties.
    const frames = await eventually(async () => {
      const e = (await events(th, 'EdgeCam', 'camera')).filter((x) => x.systemProperties.outputName === 'frames')
      return e.length >= 4 ? e : undefined
    }, 30_000, 'four frames in the hub')
    const f = frames[0]!
    assert.equal(f.systemProperties.contentType, 'image/jpeg')
    assert.equal(f.properties.cameraId, 'camera')
    assert.equal(f.properties.contentType, 'image/jpeg')
    assert.deepEqual([f.properties.width, f.properties.height], ['320', '240'])
    assert.ok(Number.isFinite(Date.parse(f.properties.captureTime!)))
    assert.deepEqual(frames.slice(0, 4).map((x) => Number(x.properties.frameId)), [1, 2, 3, 4])
    assert.equal(f.bodyEncoding, 'base64')
    const meta = await sharp(Buffer.from(f.body as string, 'base64')).metadata()
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 320, 240])

    // 2. The twin reports the settings in force and the counters.
    const reported = await eventually(async () => {
      const r = (await registry.getModuleTwin('EdgeCam', 'camera')).responseBody.properties.reported as Record<string, any>
      return r.stats?.framesSent >= 2 ? r : undefined
    }, 15_000, 'reported stats')
    assert.equal(reported.settings.fps, 4)
    assert.equal(reported.settings.source, join(samples, 'faces'))
    assert.equal(reported.settingsError, undefined, 'no error (a null in a reported patch removes the key)')
    assert.ok(reported.stats.bytesSent > 0)

    // 3. A live change: new size and camera id from the next frames on, without a restart.
    let twin = (await registry.getModuleTwin('EdgeCam', 'camera')).responseBody
    await registry.updateModuleTwin('EdgeCam', 'camera', { properties: { desired: { width: 160, height: 120, cameraId: 'lobby' } } }, twin.etag)
    const resized = await eventually(async () => {
      const e = (await events(th, 'EdgeCam', 'camera')).filter((x) => x.properties.cameraId === 'lobby')
      return e.length >= 1 ? e[0] : undefined
    }, 15_000, 'frames with the new settings')
    assert.deepEqual([resized.properties.width, resized.properties.height], ['160', '120'])

    // 4. A bad setting is refused: reported with its reason, the previous settings kept, frames still flowing.
    twin = (await registry.getModuleTwin('EdgeCam', 'camera')).responseBody
    await registry.updateModuleTwin('EdgeCam', 'camera', { properties: { desired: { fps: -1 } } }, twin.etag)
    const refused = await eventually(async () => {
      const r = (await registry.getModuleTwin('EdgeCam', 'camera')).responseBody.properties.reported as Record<string, any>
      return r.settingsError ? r : undefined
    }, 15_000, 'the settings error to be reported')
    assert.match(refused.settingsError, /fps: must be more than 0/)
    assert.equal(refused.settings.fps, 4)
    assert.equal(refused.settings.width, 160)
    const before = (await events(th, 'EdgeCam', 'camera')).length
    await eventually(async () => ((await events(th, 'EdgeCam', 'camera')).length > before + 1 ? true : undefined), 15_000, 'frames after the refused change')

    // 5. SIGTERM: a clean exit.
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
  } catch (err) {
    console.error(out.join('').split('\n').slice(-40).join('\n'))
    throw err
  }
})

test('leaf camera: the same capture as device telemetry through Client.fromConnectionString', { timeout: 60_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  const samples = ensureSamples()
  const th = await startTestHub()
  t.after(() => th.close())
  const registry = registryOf(th)
  const created = (await registry.create({ deviceId: 'DoorCam', status: 'enabled' })).responseBody
  const cs = th.connectionString('DoorCam', created.authentication!.symmetricKey!.primaryKey!)
  const stop = new AbortController()
  const log = process.env.LEDGE_TEST_LOG ? createLogger({ name: 'leaf-camera', level: process.env.LEDGE_TEST_LOG }) : silentLogger()
  const running = runLeafCamera({ connectionString: cs, ca: testCaFiles().certFile, settings: { source: join(samples, 'empty'), fps: 5, width: 200, height: 150 }, log }, stop.signal)
  t.after(() => stop.abort())
  const frames = await eventually(async () => {
    const e = await events(th, 'DoorCam')
    return e.length >= 3 ? e : undefined
  }, 30_000, 'leaf frames in the hub')
  assert.equal(frames[0]!.moduleId ?? undefined, undefined)
  assert.equal(frames[0]!.properties.cameraId, 'DoorCam')
  assert.equal(frames[0]!.properties.width, '200')
  assert.equal(frames[0]!.systemProperties.contentType, 'image/jpeg')
  stop.abort()
  await running
})
