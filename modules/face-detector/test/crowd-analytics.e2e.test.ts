/**
 * Issue 5 end to end: `deploy/crowd-analytics.json` (its `${LEDGE_ROOT}` filled in) on a real edge device — a real
 * hub, `ledge edge start` with the process runtime, its edge agent and the built-in edge hub for the Azure-style
 * `edgeHub` — with the real camera and face-detector modules on the prepared samples (faces and no faces interleaved).
 * Asserted through the hub: detections of frames with faces and forwarded frames matching them; frames without faces
 * stop at the edge; a threshold change through the module twin applies live (same process, no restart); the leaf
 * camera (`ledge camera … GatewayHostName=<edge>`) sends through the gateway under its own device id; a corrupt JPEG
 * sent to the detector's input is reported and skipped, and the detector keeps analysing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanupStack, freeLoopbackAddress, LEDGE_BIN, privilegedPortProblem, repoRoot, requireEnvironment, rest, spawnLedge, startTestHub, testCaFiles, type TestHub } from '@ledge/testkit'
import { assertDetections, assertFramesMatchDetections, assertForwardingStopped, DETECTOR, frameKey, isDetection, isFrame } from './crowd-assertions.js'
import { HubEventLog, childPid, childPids, eventually, management, sleep } from './e2e-helpers.js'
import { ensureSamples } from './samples.js'

const require = createRequire(import.meta.url)
const { Client, Message } = require('azure-iot-device') as typeof import('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')

const EDGE = 'CrowdEdge'
const LEAF = 'lobby-cam'
const INJECTOR = 'frame-injector'

/** The manifest as a deployer would fill it in, plus what this machine needs: the edge hub on the test's address. */
async function crowdAnalytics(edgeHost: string): Promise<any> {
  const text = await readFile(join(repoRoot, 'deploy', 'crowd-analytics.json'), 'utf8')
  const m = JSON.parse(text.replaceAll('${LEDGE_ROOT}', repoRoot))
  const agent = m.modulesContent.$edgeAgent['properties.desired']
  agent.systemModules.edgeHub.env = { LEDGE_EDGEHUB_BIND: { value: edgeHost }, LEDGE_EDGEHUB_METRICS_BIND: { value: edgeHost } }
  agent.modules[DETECTOR].env.DETECTOR_REPORT_INTERVAL_MS = { value: '1000' }
  const routes = m.modulesContent.$edgeHub['properties.desired'].routes
  assert.ok(Object.values(routes).some((r: any) => /^FROM \/messages\/\* WHERE NOT IS_DEFINED\(\$connectionModuleId\) INTO \$upstream$/.test(r.route ?? r)),
    'the manifest sends leaf devices\' telemetry upstream')
  // A test-only way into the detector's input for bytes the camera would never send (it re-encodes every image).
  routes.injectorToDetector = { route: `FROM /messages/* WHERE $connectionDeviceId = '${INJECTOR}' INTO BrokeredEndpoint("/modules/${DETECTOR}/inputs/frames")`, priority: 0 }
  // The shipped source (samples/mixed: faces and no faces interleaved), faster than the demo's 2 fps.
  Object.assign(m.modulesContent.camera['properties.desired'], { fps: 4 })
  return m
}

async function createDevice(th: TestHub, deviceId: string, body: Record<string, unknown>): Promise<any> {
  const r = await rest(th, 'PUT', `/devices/${deviceId}`, { deviceId, ...body })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body
}

test('crowd analytics on a real edge device: faces forwarded, empty frames dropped, live threshold, leaf camera, corrupt frame', { timeout: 240_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  ensureSamples()
  const started = Date.now()
  const dir = await mkdtemp(join(tmpdir(), 'ledge-e2e-crowd-'))
  // One clean-up, last in first out: the edge runtime stops before the hub it talks to, the folder goes last.
  const cleanup = cleanupStack(t)
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  const th = await startTestHub()
  cleanup.push(() => th.close())
  const edge = await createDevice(th, EDGE, { capabilities: { iotEdge: true } })
  const leaf = await createDevice(th, LEAF, { deviceScope: edge.deviceScope })
  const injector = await createDevice(th, INJECTOR, { deviceScope: edge.deviceScope })
  const edgeHost = await freeLoopbackAddress(8883)

  const config = join(dir, 'config.toml')
  const home = join(dir, 'home')
  const edgeKey = edge.authentication.symmetricKey.primaryKey as string
  const mp = spawn(process.execPath, [LEDGE_BIN, 'edge', 'config', 'mp', '--connection-string', `HostName=${th.host};DeviceId=${EDGE};SharedAccessKey=${edgeKey}`,
    '--config', config, '--home-dir', home, '--hub-ca-cert', testCaFiles().certFile, '--mqtt-port', String(th.hub.mqttPort), '--hostname', edgeHost,
    '--module-gateway', 'edge_hub'], { stdio: 'inherit' })
  assert.equal(await new Promise((r) => mp.on('exit', r)), 0)
  await writeFile(config, `trust_bundle_cert = "${testCaFiles().certFile}"\n${await readFile(config, 'utf8')}`)
  await appendFile(config, '\n[agent.env]\nLEDGE_AGENT_RECONCILE_INTERVAL_MS = "1000"\n')
  assert.match(await readFile(config, 'utf8'), /module_gateway = "edge_hub"/)

  const log: string[] = []
  const daemon = spawnLedge(['edge', 'start', '--config', config], log)
  // Modules run in their own process groups and outlive a killed daemon: stop it with SIGTERM (it stops them within
  // their grace periods); if it hangs, kill it and the module processes it had.
  const modulePids = new Set<number>()
  cleanup.push(async () => {
    for (const pid of await childPids(daemon.child.pid!)) modulePids.add(pid)
    daemon.child.kill('SIGTERM')
    const code = await Promise.race([daemon.exited, sleep(25_000).then(() => 'hung' as const)])
    if (code === 'hung') daemon.child.kill('SIGKILL')
    for (const pid of modulePids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
  })
  const hubEvents = new HubEventLog(th)
  const detectorTwin = async (): Promise<any> => (await rest(th, 'GET', `/twins/${EDGE}/modules/${DETECTOR}`)).body.properties.reported
  const detectorProcess = async (): Promise<{ pid: number | undefined; startTime: unknown; restartCount: unknown }> => {
    const details = await management(join(home, 'mgmt.sock'), `/modules/${DETECTOR}`)
    const agent = (await rest(th, 'GET', `/twins/${EDGE}/modules/${encodeURIComponent('$edgeAgent')}`)).body.properties.reported
    return { pid: await childPid(daemon.child.pid!, 'face-detector/bin/face-detector.js'), startTime: details.status?.startTime, restartCount: agent.modules?.[DETECTOR]?.restartCount }
  }
  const setDetector = async (desired: Record<string, unknown>): Promise<void> => {
    const r = await rest(th, 'PATCH', `/twins/${EDGE}/modules/${DETECTOR}`, { properties: { desired } })
    assert.equal(r.status, 200, JSON.stringify(r.body))
  }
  const leafLog: string[] = []
  let leafCamera: ReturnType<typeof spawnLedge> | undefined
  cleanup.push(async () => leafCamera?.child.kill('SIGKILL'))
  try {
    const applied = await rest(th, 'POST', `/devices/${EDGE}/applyConfigurationContent`, await crowdAnalytics(edgeHost))
    assert.equal(applied.status, 204, JSON.stringify(applied.body))
    await eventually(async () => {
      const r = (await rest(th, 'GET', `/twins/${EDGE}/modules/${encodeURIComponent('$edgeAgent')}`)).body.properties.reported
      return r.systemModules?.edgeHub?.runtimeStatus === 'running' && r.modules?.camera?.runtimeStatus === 'running' && r.modules?.[DETECTOR]?.runtimeStatus === 'running' ? r : undefined
    }, 90_000, 'the agent to report the edge hub, camera and face-detector running', 1000)
    for (const pid of await childPids(daemon.child.pid!)) modulePids.add(pid)

    // 1. Frames with faces reach the hub with their detections; frames without stop at the edge.
    await eventually(async () => {
      await hubEvents.poll()
      const d = hubEvents.all.filter(isDetection)
      return d.filter((e) => e.body.faceCount > 0).length >= 2 && d.filter((e) => e.body.faceCount === 0).length >= 2 && hubEvents.all.some(isFrame) ? true : undefined
    }, 90_000, 'detections with and without faces and forwarded frames in the hub', 2000)
    // The process that answered them is the one whose restarts are counted from here.
    const before = await detectorProcess()
    for (const pid of await childPids(daemon.child.pid!)) modulePids.add(pid)
    assert.ok(before.pid, 'the face-detector runs as a child of the daemon')
    assertDetections(hubEvents.all.filter(isDetection), 1)
    assertFramesMatchDetections(hubEvents.all, 1)

    // 2. A corrupt JPEG on the detector's input (from a leaf device through the gateway, routed there for the test)
    //    is reported and skipped; the module keeps analysing the camera's frames.
    const edgeCa = await readFile(join(home, 'certs', 'edge-ca.pem'), 'utf8')
    const injectorClient = Client.fromConnectionString(`HostName=${th.host};DeviceId=${INJECTOR};SharedAccessKey=${injector.authentication.symmetricKey.primaryKey};GatewayHostName=${edgeHost}`, Mqtt)
    await injectorClient.setOptions({ ca: edgeCa })
    cleanup.push(() => Promise.race([injectorClient.close(), sleep(3000)]))
    await injectorClient.open()
    const corrupt = new Message(await readFile(join(repoRoot, 'modules', 'camera', 'samples', 'corrupt', 'garbage.jpg')))
    corrupt.contentType = 'image/jpeg' as never
    for (const [k, v] of Object.entries({ cameraId: INJECTOR, frameId: '1', captureTime: new Date().toISOString(), contentType: 'image/jpeg' })) corrupt.properties.add(k, v)
    await injectorClient.sendEvent(corrupt)
    const afterCorrupt = await eventually(async () => {
      const r = await detectorTwin()
      return r.stats?.framesCorrupt >= 1 ? r.stats : undefined
    }, 30_000, 'the detector to report the corrupt frame', 1000)
    assert.equal(afterCorrupt.framesCorrupt, 1)
    assert.equal(afterCorrupt.lastCorrupt.cameraId, INJECTOR)
    assert.equal(afterCorrupt.lastCorrupt.frameId, '1')
    const corruptDetection = await eventually(async () => {
      await hubEvents.poll()
      return hubEvents.all.find((e) => e.moduleId === DETECTOR && e.body?.cameraId === INJECTOR)
    }, 30_000, 'the corrupt frame\'s answer on detections in the hub', 1000)
    assert.equal(corruptDetection.body.error.code, 'ERR_FRAME_CORRUPT')
    assert.equal(corruptDetection.properties.error, 'ERR_FRAME_CORRUPT')
    assert.equal(corruptDetection.body.faceCount, undefined)
    await eventually(async () => {
      const r = await detectorTwin()
      return r.stats?.framesAnalysed >= afterCorrupt.framesAnalysed + 3 ? true : undefined
    }, 30_000, 'the detector to go on analysing after the corrupt frame', 1000)
    assert.ok(!hubEvents.all.some((e) => e.jpeg && e.moduleId === DETECTOR && e.properties.cameraId === INJECTOR), 'a corrupt frame is never forwarded')

    // 3. The leaf camera (`ledge camera`) through the edge device as a transparent gateway, under its own device id.
    const leafCs = `HostName=${th.host};DeviceId=${LEAF};SharedAccessKey=${leaf.authentication.symmetricKey.primaryKey};GatewayHostName=${edgeHost}`
    leafCamera = spawnLedge(['camera', '--connection-string', leafCs, '--ca', join(home, 'certs', 'edge-ca.pem'),
      '--source', join(repoRoot, 'modules', 'camera', 'samples', 'faces'), '--fps', '2', '--width', '320', '--height', '240', '--report-interval-ms', '2000'], leafLog)
    const leafFrames = await eventually(async () => {
      await hubEvents.poll()
      const e = hubEvents.of(LEAF)
      return e.length >= 3 ? e : undefined
    }, 45_000, 'the leaf camera\'s frames in the hub', 1500)
    for (const e of leafFrames) {
      assert.ok(e.jpeg, 'a JPEG body')
      assert.equal(e.systemProperties.contentType, 'image/jpeg')
      assert.equal(e.systemProperties.connectionDeviceId, LEAF)
      assert.equal(e.properties.cameraId, LEAF)
      assert.equal(e.properties.width, '320')
    }
    const metrics = await (await fetch(`http://${edgeHost}:9600/metrics`)).text()
    assert.match(metrics, new RegExp(`edgehub_messages_received_total\\{[^}]*id="${LEAF}"`), 'the leaf\'s frames came through the edge hub')
    leafCamera.child.kill('SIGTERM')
    assert.equal(await leafCamera.exited, 0, 'the leaf camera stops cleanly on SIGTERM')
    const leafTwin = (await rest(th, 'GET', `/twins/${LEAF}`)).body.properties.reported
    assert.ok(leafTwin.stats?.framesSent >= 3, JSON.stringify(leafTwin))

    // 4. The forward threshold through the module twin, live: no frame has 100 faces, so forwarding stops while
    //    detections go on — in the same process, not restarted.
    await setDetector({ forwardThreshold: 100 })
    await eventually(async () => ((await detectorTwin()).settings?.forwardThreshold === 100 ? true : undefined), 20_000, 'the detector to apply forwardThreshold 100', 500)
    await hubEvents.poll()
    const mark = hubEvents.mark
    const forwardedEarlier = await assertForwardingStopped(hubEvents, mark, 45_000)
    const lateDetections = hubEvents.all.filter((e) => isDetection(e) && e.offset >= mark)
    assert.ok(lateDetections.length >= 2, 'detections go on')
    const after = await detectorProcess()
    assert.deepEqual(after, before, 'the face-detector was not restarted')

    // Back to 1: forwarding resumes, still the same process.
    await setDetector({ forwardThreshold: 1 })
    await hubEvents.poll()
    const mark2 = hubEvents.mark
    await eventually(async () => {
      await hubEvents.poll()
      return hubEvents.all.some((e) => isFrame(e) && e.offset >= mark2 && !forwardedEarlier.has(frameKey(e.properties))) ? true : undefined
    }, 45_000, 'forwarded frames again after forwardThreshold 1', 2000)
    assert.deepEqual(await detectorProcess(), before, 'the face-detector was not restarted')

    // Over the whole run: frames without faces never left the edge; every forwarded frame matches its detection.
    assertFramesMatchDetections(hubEvents.all, 1)
    const stats = (await detectorTwin()).stats
    assert.equal(stats.framesCorrupt, 1)
    assert.ok(stats.framesForwarded < stats.framesAnalysed, JSON.stringify(stats))
    assert.ok(stats.bytesSaved > 0, JSON.stringify(stats))
    console.error(`crowd-analytics e2e: ${hubEvents.all.filter(isDetection).length} detections, ${hubEvents.all.filter(isFrame).length} forwarded frames, ${leafFrames.length}+ leaf frames, detector stats ${JSON.stringify(stats)}`)
  } catch (err) {
    console.error(log.join('').split('\n').slice(-80).join('\n'))
    console.error(leafLog.join('').split('\n').slice(-20).join('\n'))
    for (const m of [DETECTOR, 'camera', 'edgeHub']) {
      const logs = await management(join(home, 'mgmt.sock'), `/modules/${m}/logs?tail=30`, true).catch((e: Error) => e.message)
      console.error(`--- ${m} logs\n${logs}`)
    }
    throw err
  }
  console.error(`crowd-analytics e2e took ${Date.now() - started} ms`)
})
