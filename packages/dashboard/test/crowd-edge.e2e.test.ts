/**
 * Issue 7 against a real edge device: a real hub, `ledge edge start` (process runtime, its real edge agent and edge
 * hub) running `deploy/crowd-analytics.json` with the real camera and face-detector modules, set up as the
 * crowd-analytics end-to-end test does (its helpers imported). Then the dashboard in Debian's chromium: the devices
 * page shows the edge device's connection state, the device page shows the four modules running as the real
 * `$edgeAgent` reports them, the live stream shows new face-detector messages arriving, and the crowd view shows a
 * forwarded frame with at least one face boxed. A screenshot of each page goes to `<test artifacts>/dashboard/`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { freeLoopbackAddress, LEDGE_BIN, privilegedPortProblem, repoRoot, requireEnvironment, rest, spawnLedge, startTestHub, testCaFiles } from '@ledge/testkit'
import { HubEventLog, childPids, eventually, management, sleep, type SeenEvent } from '../../../modules/face-detector/test/e2e-helpers.js'
import { ensureSamples } from '../../../modules/face-detector/test/samples.js'
import { browserProblem, ensureDashboardBuilt, launchBrowser, screenshotPath } from './browser.js'

const EDGE = 'CrowdEdgeDash'
const DETECTOR = 'face-detector'
const MODULES = ['edgeAgent', 'edgeHub', 'camera', DETECTOR]

/** The shipped manifest with `${LEDGE_ROOT}` filled in and the edge hub on the test's loopback address. */
async function crowdAnalytics(edgeHost: string): Promise<any> {
  const m = JSON.parse((await readFile(join(repoRoot, 'deploy', 'crowd-analytics.json'), 'utf8')).replaceAll('${LEDGE_ROOT}', repoRoot))
  const agent = m.modulesContent.$edgeAgent['properties.desired']
  agent.systemModules.edgeHub.env = { LEDGE_EDGEHUB_BIND: { value: edgeHost }, LEDGE_EDGEHUB_METRICS_BIND: { value: edgeHost } }
  agent.modules[DETECTOR].env.DETECTOR_REPORT_INTERVAL_MS = { value: '1000' }
  Object.assign(m.modulesContent.camera['properties.desired'], { fps: 4 })
  return m
}

const isDetection = (e: SeenEvent): boolean => e.moduleId === DETECTOR && e.bodyEncoding === 'json' && e.body?.frameId !== undefined
const isFrame = (e: SeenEvent): boolean => e.moduleId === DETECTOR && e.jpeg

const problem = browserProblem() ?? (await privilegedPortProblem())

test('the dashboard in chromium on a real edge device running crowd analytics: connection, modules, live stream, boxed frame', { timeout: 180_000 }, async (t) => {
  if (!requireEnvironment(t, problem)) return
  const started = Date.now()
  ensureSamples()
  ensureDashboardBuilt()
  const dir = await mkdtemp(join(tmpdir(), 'ledge-e2e-dash-edge-'))
  const th = await startTestHub()
  // One cleanup, in order: the browser (its event streams), the daemon and its modules, the hub, the files.
  // (t.after hooks run in the order they were added, so separate hooks would close the hub before the daemon.)
  let stopDaemon = async (): Promise<void> => undefined
  let closeBrowser = async (): Promise<void> => undefined
  t.after(async () => {
    await Promise.race([closeBrowser().catch(() => undefined), sleep(10_000)])
    await stopDaemon()
    await th.close()
    await rm(dir, { recursive: true, force: true })
  })
  const created = await rest(th, 'PUT', `/devices/${EDGE}`, { deviceId: EDGE, capabilities: { iotEdge: true } })
  assert.equal(created.status, 200, JSON.stringify(created.body))
  const edgeKey = created.body.authentication.symmetricKey.primaryKey as string
  const edgeHost = await freeLoopbackAddress(8883)

  const config = join(dir, 'config.toml')
  const home = join(dir, 'home')
  const mp = spawn(process.execPath, [LEDGE_BIN, 'edge', 'config', 'mp', '--connection-string', `HostName=${th.host};DeviceId=${EDGE};SharedAccessKey=${edgeKey}`,
    '--config', config, '--home-dir', home, '--hub-ca-cert', testCaFiles().certFile, '--mqtt-port', String(th.hub.mqttPort), '--hostname', edgeHost,
    '--module-gateway', 'edge_hub'], { stdio: 'inherit' })
  assert.equal(await new Promise((r) => mp.on('exit', r)), 0)
  await writeFile(config, `trust_bundle_cert = "${testCaFiles().certFile}"\n${await readFile(config, 'utf8')}`)
  await appendFile(config, '\n[agent.env]\nLEDGE_AGENT_RECONCILE_INTERVAL_MS = "1000"\n')

  const log: string[] = []
  const daemon = spawnLedge(['edge', 'start', '--config', config], log)
  // As in the crowd-analytics e2e: modules run in their own process groups and outlive a killed daemon, so SIGTERM
  // it and wait (it stops them within their grace periods); if it hangs, kill it and the module processes it had.
  const modulePids = new Set<number>()
  stopDaemon = async () => {
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
  }

  const browser = await launchBrowser()
  closeBrowser = () => browser.close()
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  const hubEvents = new HubEventLog(th)
  const agentReported = async (): Promise<any> => (await rest(th, 'GET', `/twins/${EDGE}/modules/${encodeURIComponent('$edgeAgent')}`)).body.properties?.reported ?? {}

  try {
    const applied = await rest(th, 'POST', `/devices/${EDGE}/applyConfigurationContent`, await crowdAnalytics(edgeHost))
    assert.equal(applied.status, 204, JSON.stringify(applied.body))
    const reported = await eventually(async () => {
      const r = await agentReported()
      return r.systemModules?.edgeHub?.runtimeStatus === 'running' && r.modules?.camera?.runtimeStatus === 'running' && r.modules?.[DETECTOR]?.runtimeStatus === 'running' ? r : undefined
    }, 90_000, 'the agent to report the edge hub, camera and face-detector running', 1000)
    for (const pid of await childPids(daemon.child.pid!)) modulePids.add(pid)
    // The agent reports itself too; the module table is built from this report.
    assert.equal(reported.systemModules?.edgeAgent?.runtimeStatus, 'running', JSON.stringify(reported.systemModules))
    await eventually(async () => {
      await hubEvents.poll()
      return hubEvents.all.some((e) => isDetection(e) && e.body.faceCount > 0) && hubEvents.all.some(isFrame) ? true : undefined
    }, 60_000, 'a detection with faces and a forwarded frame in the hub', 1000)
    const ready = Date.now()

    // 1. Devices page: the edge device is listed as connected. Its own identity never connects (its edge hub and
    //    agent connect as modules, and the edge hub upstream for the others): the page counts it connected when its
    //    $edgeHub module is, which the hub confirms.
    await page.goto(`${th.url}/dashboard/`)
    await page.getByLabel('Hub connection string').fill(th.serviceConnectionString)
    await page.getByRole('button', { name: 'Log in' }).click()
    const row = page.getByTestId('device-row').filter({ hasText: EDGE })
    await row.getByText('edge', { exact: true }).waitFor()
    const modules = (await rest(th, 'GET', `/devices/${EDGE}/modules`)).body as { moduleId: string; connectionState: string }[]
    const moduleStates = Object.fromEntries(modules.map((m) => [m.moduleId, m.connectionState]))
    for (const id of ['$edgeAgent', '$edgeHub', 'camera', DETECTOR]) assert.equal(moduleStates[id], 'Connected', `${id}: ${JSON.stringify(moduleStates)}`)
    await row.getByText('Connected', { exact: true }).waitFor()
    await shoot(page, 'crowd-edge-devices')

    // 2. Device page: edgeAgent, edgeHub, camera and face-detector running, from the real $edgeAgent's report.
    await row.getByRole('link', { name: EDGE }).click()
    await page.getByRole('heading', { name: EDGE, level: 1 }).waitFor()
    await page.getByTestId('module-table').waitFor()
    const moduleRows = page.getByTestId('module-row')
    await eventually(async () => ((await moduleRows.count()) === MODULES.length ? true : undefined), 15_000, 'four module rows', 200)
    for (const name of MODULES) {
      const r = moduleRows.filter({ has: page.getByRole('rowheader', { name, exact: true }) })
      assert.equal(await r.count(), 1, `one row for ${name}`)
      assert.match(await r.innerText(), /\brunning\b/, `${name} shows running`)
    }
    await page.getByText('applied', { exact: true }).first().waitFor()
    await shoot(page, 'crowd-edge-modules')

    // 3. Live stream filtered to the face-detector: messages that reach the hub after the page opened show up.
    await hubEvents.poll()
    const mark = hubEvents.mark
    await page.goto(`${th.url}/dashboard/#/live?device=${EDGE}&module=${DETECTOR}`)
    await page.getByText('live', { exact: true }).waitFor()
    const messages = page.getByTestId('message')
    const fresh = await eventually(async () => {
      const texts = await messages.allInnerTexts()
      const newer = texts.filter((s) => Number(/#(\d+)/.exec(s)?.[1] ?? -1) >= mark)
      return newer.length >= 2 ? newer : undefined
    }, 20_000, `face-detector messages at offset ${mark} or later in the live stream`, 250)
    for (const s of fresh) assert.match(s, new RegExp(`${EDGE}/${DETECTOR}`))
    assert.ok(fresh.some((s) => /output detections/.test(s) && /"faceCount"/.test(s)), 'a detections message with its body')
    await shoot(page, 'crowd-edge-live')

    // 4. Crowd view: a frame the detector forwarded, with at least one face boxed.
    await page.goto(`${th.url}/dashboard/#/crowd/${EDGE}`)
    await page.getByTestId('frame').first().waitFor({ timeout: 20_000 })
    // A forwarded frame and its detection are two messages: the newest frame may be shown before its boxes arrive,
    // so look for a frame whose detection is in (boxes drawn, as many as the faces it counted).
    const frame = await eventually(async () => {
      for (const f of await page.getByTestId('frame').all()) {
        const boxes = await f.getByTestId('face-box').count()
        const faces = Number(/(\d+)\s*faces?/.exec(await f.locator('figcaption').innerText())?.[1])
        const loaded = await f.locator('img').evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0)
        if (loaded && boxes >= 1 && boxes === faces) return f
      }
      return undefined
    }, 15_000, 'a loaded forwarded frame with one box per face counted', 250)
    const box = await frame.getByTestId('face-box').first().locator('rect').boundingBox()
    const img = await frame.locator('img').boundingBox()
    assert.ok(box && img && box.width > 0, 'the box is drawn')
    const cx = box.x + box.width / 2
    const cy = box.y + box.height / 2
    assert.ok(cx > img.x && cx < img.x + img.width && cy > img.y && cy < img.y + img.height, `the box ${JSON.stringify(box)} is on the image ${JSON.stringify(img)}`)
    const analysed = Number(await page.getByTestId('frames-analysed').innerText())
    const sent = Number(await page.getByTestId('frames-sent').innerText())
    assert.ok(sent >= 1 && analysed > sent, `frames analysed ${analysed} > sent ${sent}: frames without faces stay at the edge`)
    await shoot(page, 'crowd-edge-crowd')

    assert.deepEqual(pageErrors, [])
    console.error(`crowd-edge dashboard e2e: edge ready in ${ready - started} ms, browser part ${Date.now() - ready} ms`)
  } catch (err) {
    console.error(log.join('').split('\n').slice(-60).join('\n'))
    for (const m of [DETECTOR, 'camera', 'edgeHub']) {
      const logs = await management(join(home, 'mgmt.sock'), `/modules/${m}/logs?tail=20`, true).catch((e: Error) => e.message)
      console.error(`--- ${m} logs\n${logs}`)
    }
    await page.screenshot({ path: screenshotPath('crowd-edge-failure'), fullPage: true }).catch(() => undefined)
    throw err
  }
})

/** Screenshots the page after checking that every form control and button has an accessible name (as dashboard.e2e). */
async function shoot(page: Page, name: string): Promise<void> {
  const unnamed = await page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim())))
    .map((el) => el.outerHTML.slice(0, 120))`)
  assert.deepEqual(unnamed, [], `controls without a label on ${name}`)
  await page.screenshot({ path: screenshotPath(name), fullPage: true })
}
