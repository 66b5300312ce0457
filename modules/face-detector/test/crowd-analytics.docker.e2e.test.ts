/**
 * Issue 5, the Docker variant end to end: `deploy/crowd-analytics.docker.json` on a real edge device — a real hub,
 * `ledge edge start` with the Docker runtime on a real engine, its agent, and the built-in edge hub (a process, as the
 * manifest's Azure-style `edgeHub` asks) — with the camera and the face-detector as containers of the images
 * `scripts/build-module-images.ts` builds from this checkout (built once; rebuilt only when an input changed).
 *
 * Asserted: both modules run as containers of those images on the host network; the camera reads the samples inside
 * its image; faces are detected inside the detector's container (its workers on tfjs-wasm) and the detections and
 * the forwarded frames — only frames with faces — reach the hub through the edge hub's routes; a threshold change
 * through the module twin reaches the running container (not recreated); the daemon's SIGTERM stops both containers
 * cleanly (exit code 0: docker-init passes SIGTERM on to node).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@ledge/runtime-docker'
import { dockerProblem, TEST_DOCKER_URI, writeDockerEdgeConfig } from '@ledge/runtime-docker/testing'
import { cleanupStack, freeLoopbackAddress, privilegedPortProblem, repoRoot, requireEnvironment, rest, spawnLedge, startTestHub } from '@ledge/testkit'
import { buildModuleImages } from '../../../scripts/module-images/index.js'
import { assertDetections, assertFramesMatchDetections, assertForwardingStopped, DETECTOR, isDetection, isFrame } from './crowd-assertions.js'
import { HubEventLog, eventually } from './e2e-helpers.js'
import { ensureSamples } from './samples.js'

const EDGE = 'CrowdDockerEdge'
const CAMERA = 'camera'
const MODULES = [CAMERA, DETECTOR]
const docker = connect(TEST_DOCKER_URI)

/** The manifest as shipped, plus what this machine needs: the edge hub on the test's loopback address. */
async function crowdAnalytics(edgeHost: string): Promise<any> {
  const m = JSON.parse(await readFile(join(repoRoot, 'deploy', 'crowd-analytics.docker.json'), 'utf8'))
  const agent = m.modulesContent.$edgeAgent['properties.desired']
  agent.systemModules.edgeHub.env = { LEDGE_EDGEHUB_BIND: { value: edgeHost }, LEDGE_EDGEHUB_METRICS_BIND: { value: edgeHost } }
  agent.modules[DETECTOR].env.DETECTOR_REPORT_INTERVAL_MS = { value: '1000' }
  // The shipped source (samples/mixed inside the image: faces and no faces interleaved), faster than the demo's 2 fps.
  Object.assign(m.modulesContent.camera['properties.desired'], { fps: 4 })
  return m
}

interface ContainerFacts {
  id: string
  image: string
  imageId: string
  running: boolean
  startedAt: string
  exitCode: number
  networkMode: string | undefined
  ledge: boolean
}

async function container(name: string): Promise<ContainerFacts | undefined> {
  return docker.getContainer(name).inspect().then((i) => ({
    id: i.Id, image: i.Config.Image, imageId: i.Image, running: i.State.Running, startedAt: i.State.StartedAt, exitCode: i.State.ExitCode,
    networkMode: i.HostConfig.NetworkMode, ledge: i.Config.Labels?.['ledge.module'] !== undefined,
  }), () => undefined)
}

/** Containers a Ledge runtime made for these module names (an earlier run's, if it was killed); nothing else. */
async function removeModuleContainers(): Promise<void> {
  for (const name of MODULES) if ((await container(name))?.ledge) await docker.getContainer(name).remove({ force: true }).catch(() => undefined)
}

async function logsOf(name: string): Promise<string> {
  // The multiplexed stream's frame headers are binary; the lines in between are intact, which is all a match needs.
  return (await docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false })).toString('utf8')
}

test('crowd analytics as containers: faces detected in the container reach the hub, live threshold, clean stop', { timeout: 600_000 }, async (t) => {
  if (!requireEnvironment(t, await privilegedPortProblem())) return
  if (!requireEnvironment(t, await dockerProblem())) return
  ensureSamples()
  const buildStarted = Date.now()
  const images = await buildModuleImages(docker, { log: (l) => console.error(l) })
  console.error(`module images ready in ${Date.now() - buildStarted} ms: ${images.map((i) => `${i.tag} ${i.built ? 'built' : 'cached'} ${(i.bytes / 1e6).toFixed(1)} MB`).join(', ')}`)
  const imageIds = Object.fromEntries(images.map((i) => [i.tag, i.id]))
  await removeModuleContainers()

  // One clean-up, last in first out: the daemon, the containers, the hub, the folder last.
  const cleanup = cleanupStack(t)
  const dir = await mkdtemp(join(tmpdir(), 'ledge-e2e-crowd-docker-'))
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  const th = await startTestHub()
  cleanup.push(() => th.close())
  cleanup.push(removeModuleContainers)
  const created = await rest(th, 'PUT', `/devices/${EDGE}`, { deviceId: EDGE, capabilities: { iotEdge: true } })
  assert.equal(created.status, 200, JSON.stringify(created.body))
  const edgeHost = await freeLoopbackAddress(8883)

  // The device's host name is a loopback address the edge hub binds: containers on the host network reach it there
  // without DNS (see packages/runtime-docker/README.md). The Docker runtime keeps its default network: the manifest's
  // createOptions choose the host network themselves.
  const { config } = await writeDockerEdgeConfig({ th, dir, deviceId: EDGE, key: created.body.authentication.symmetricKey.primaryKey, moduleGateway: 'edge_hub', hostname: edgeHost })

  const log: string[] = []
  const edge = spawnLedge(['edge', 'start', '--config', config], log)
  const { child: daemon, exited } = edge
  daemon.on('exit', (code, signal) => log.push(`ledge edge start exited: ${code ?? signal}
`))
  cleanup.push(() => edge.stop())
  const hubEvents = new HubEventLog(th)
  const twin = async (moduleId: string): Promise<any> => (await rest(th, 'GET', `/twins/${EDGE}/modules/${encodeURIComponent(moduleId)}`)).body.properties.reported
  try {
    const applied = await rest(th, 'POST', `/devices/${EDGE}/applyConfigurationContent`, await crowdAnalytics(edgeHost))
    assert.equal(applied.status, 204, JSON.stringify(applied.body))
    await eventually(async () => {
      const r = await twin('$edgeAgent')
      return r.systemModules?.edgeHub?.runtimeStatus === 'running' && r.modules?.[CAMERA]?.runtimeStatus === 'running' && r.modules?.[DETECTOR]?.runtimeStatus === 'running' ? r : undefined
    }, 120_000, 'the agent to report the edge hub, camera and face-detector running', 1000)

    // 1. Both modules are containers of the images just built, on the host network.
    const before: Record<string, ContainerFacts> = {}
    for (const name of MODULES) {
      const c = await container(name)
      assert.ok(c?.running, `${name} runs as a container`)
      assert.equal(c.image, `ledge/${name}:0.1.0`)
      assert.equal(c.imageId, imageIds[c.image], `${name} runs the image built from this checkout`)
      assert.equal(c.networkMode, 'host')
      before[name] = c
    }

    // 2. Frames with faces reach the hub with their detections; frames without faces stop at the edge.
    await eventually(async () => {
      await hubEvents.poll()
      const d = hubEvents.all.filter(isDetection)
      return d.filter((e) => e.body.faceCount > 0).length >= 2 && d.filter((e) => e.body.faceCount === 0).length >= 2 && hubEvents.all.some(isFrame) ? true : undefined
    }, 120_000, 'detections with and without faces and forwarded frames in the hub', 2000)
    assertDetections(hubEvents.all.filter(isDetection), 1)
    assertFramesMatchDetections(hubEvents.all, 1)

    // The work happened inside the containers: the camera read the samples in its image (its source resolves under
    // /app, the image's package folder), the detector's workers started on the wasm backend there.
    const cameraTwin = await eventually(async () => ((await twin(CAMERA)).stats?.framesSent >= 4 ? twin(CAMERA) : undefined), 30_000, 'the camera\'s stats')
    assert.equal(cameraTwin.settings.source, '/app/samples/mixed')
    assert.match(cameraTwin.stats.source, /\/app\/samples\/mixed/)
    const detectorLogs = await logsOf(DETECTOR)
    const workersReady = detectorLogs.match(/"event":"worker\.ready"[^\n]*"backend":"wasm"/g)?.length ?? 0
    assert.ok(workersReady >= 2, `the detector's two workers started on tfjs-wasm in the container (${workersReady} in its log)`)
    const stats = await eventually(async () => {
      const s = (await twin(DETECTOR)).stats
      return s?.framesAnalysed >= 4 && s.facesFound >= 2 ? s : undefined
    }, 30_000, 'the detector\'s stats')
    assert.equal(stats.workers, 2)
    assert.ok(stats.framesForwarded < stats.framesAnalysed, JSON.stringify(stats))

    // 3. The forward threshold through the module twin reaches the running container: no frame has 100 faces, so
    //    forwarding stops while detections go on.
    const patched = await rest(th, 'PATCH', `/twins/${EDGE}/modules/${DETECTOR}`, { properties: { desired: { forwardThreshold: 100 } } })
    assert.equal(patched.status, 200, JSON.stringify(patched.body))
    await eventually(async () => ((await twin(DETECTOR)).settings?.forwardThreshold === 100 ? true : undefined), 30_000, 'the detector to apply forwardThreshold 100', 500)
    await hubEvents.poll()
    const mark = hubEvents.mark
    await assertForwardingStopped(hubEvents, mark, 60_000)
    const after = (await container(DETECTOR))!
    assert.equal(after.id, before[DETECTOR]!.id, 'the same container')
    assert.equal(after.startedAt, before[DETECTOR]!.startedAt, 'not restarted')

    // 4. The daemon's SIGTERM stops the modules within their grace; both containers exit cleanly.
    daemon.kill('SIGTERM')
    assert.equal(await exited, 0)
    for (const name of MODULES) {
      const c = (await container(name))!
      assert.equal(c.running, false, `${name} stopped with the daemon`)
      assert.equal(c.exitCode, 0, `${name} handled SIGTERM`)
    }
    console.error(`crowd-analytics docker e2e: ${hubEvents.all.filter(isDetection).length} detections, ${hubEvents.all.filter(isFrame).length} forwarded frames, detector stats ${JSON.stringify(stats)}`)
  } catch (err) {
    console.error(log.join('').split('\n').slice(-80).join('\n'))
    for (const name of MODULES) console.error(`--- ${name} container logs\n${(await logsOf(name).catch((e: Error) => e.message)).split('\n').slice(-30).join('\n')}`)
    throw err
  }
})
