/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a real hub, with devices and
 * modules that are the unmodified azure-iot-device SDK: a sensor that reports, answers a method and takes C2D; an edge
 * device whose `$edgeAgent` (an SDK ModuleClient standing in for the agent) reports its modules and answers
 * RestartModule; and a face-detector module sending `detections` and JPEG `frames` as the real one does.
 * Screenshots of every page go to `<test artifacts>/dashboard/`.
 */
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { createServiceSasToken, parseServiceConnectionString } from '@ledge/protocol'
import { edgeDeployment, privilegedPortProblem, repoRoot, requireEnvironment, startTestHub, type TestHub } from '@ledge/testkit'
import { browserProblem, ensureDashboardBuilt, launchBrowser, screenshotPath } from './browser.js'

const require = createRequire(import.meta.url)
const sdk = require('azure-iot-device') as typeof import('azure-iot-device')
const { Mqtt } = require('azure-iot-device-mqtt') as typeof import('azure-iot-device-mqtt')
type Client = import('azure-iot-device').Client
type ModuleClient = import('azure-iot-device').ModuleClient

const TIMEOUT = 60_000
const SAMPLE = join(repoRoot, 'node_modules/@vladmandic/face-api/demo/sample1.jpg')
/** Where the faces are in the sample photo at 640 px wide (the detector's contract: pixel boxes). */
const BOXES = [{ x: 133, y: 106, width: 74, height: 88 }, { x: 272, y: 140, width: 76, height: 84 }, { x: 482, y: 66, width: 82, height: 88 }]

const deployment = edgeDeployment({
  edgeAgent: { type: 'process', settings: { command: 'ledge-edge-agent' } },
  edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'ledge-edge-hub' } },
  modules: {
    camera: { version: '1.0', type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node', args: ['camera.js'] } },
    'face-detector': { version: '1.0', type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node', args: ['face-detector.js'] } },
  },
  routes: { up: 'FROM /messages/modules/face-detector/* INTO $upstream' },
})

async function rest<T = unknown>(th: TestHub, method: string, path: string, body?: unknown): Promise<T> {
  const cs = parseServiceConnectionString(th.serviceConnectionString)
  const token = createServiceSasToken({ hostName: cs.hostName, policyName: cs.sharedAccessKeyName, keyBase64: cs.sharedAccessKey, expiresAt: Date.now() / 1000 + 600 })
  const res = await fetch(`${th.url}${path}?api-version=2021-04-12`, {
    method, headers: { authorization: token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return (text ? JSON.parse(text) : undefined) as T
}

type Keyed = { authentication: { symmetricKey: { primaryKey: string } } }

function done(fn: (cb: (err?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())))
}

async function openClient(th: TestHub, deviceId: string, key: string): Promise<Client> {
  const c = sdk.Client.fromConnectionString(th.connectionString(deviceId, key), Mqtt)
  await c.setOptions({ ca: th.caPem })
  await c.open()
  return c
}

async function openModule(th: TestHub, deviceId: string, moduleId: string, key: string): Promise<ModuleClient> {
  const c = sdk.ModuleClient.fromConnectionString(th.connectionString(deviceId, key, moduleId), Mqtt)
  await c.setOptions({ ca: th.caPem })
  await c.open()
  return c
}

async function sampleJpeg(): Promise<Buffer> {
  // The packaged photo when the face-detector's model package is installed, else a drawn stand-in of the same size.
  if (existsSync(SAMPLE)) return sharp(SAMPLE).resize(640).jpeg({ quality: 70 }).toBuffer()
  const faces = BOXES.map((b) => `<ellipse cx="${b.x + b.width / 2}" cy="${b.y + b.height / 2}" rx="${b.width / 2}" ry="${b.height / 2}" fill="#e0b090"/>`).join('')
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="427"><rect width="640" height="427" fill="#334"/>${faces}</svg>`)).jpeg().toBuffer()
}

/** What the edge agent would report for the deployment, field names as Azure's. */
function agentReport(desiredVersion: number, restarts: number): Record<string, unknown> {
  const now = new Date().toISOString()
  const mod = (restartCount: number) => ({ type: 'process', status: 'running', restartPolicy: 'always', runtimeStatus: 'running', statusDescription: 'running', exitCode: 0, restartCount, lastStartTimeUtc: now, lastExitTimeUtc: '0001-01-01T00:00:00Z' })
  return {
    schemaVersion: '1.0', version: { version: '0.1.0', build: 'test', commit: 'test' },
    lastDesiredVersion: desiredVersion, lastDesiredStatus: { code: 200, description: '' },
    runtime: { platform: { os: 'linux', architecture: 'x86_64', version: '0.1.0' }, type: 'process', settings: {} },
    systemModules: { edgeAgent: { type: 'process', runtimeStatus: 'running', exitCode: 0, lastStartTimeUtc: now }, edgeHub: mod(0) },
    modules: { camera: mod(restarts), 'face-detector': mod(0) },
  }
}

const problem = browserProblem() ?? (await privilegedPortProblem())

describe('dashboard in a real browser', { timeout: 5 * TIMEOUT }, () => {
  let th: TestHub
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let sensor: Client
  let agent: ModuleClient
  let detector: ModuleClient
  const c2dReceived: string[] = []
  const restarts: unknown[] = []
  const pageErrors: string[] = []

  before(async () => {
    if (problem) return
    ensureDashboardBuilt()
    th = await startTestHub()
    browser = await launchBrowser()
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
    page.on('pageerror', (err) => pageErrors.push(err.message))

    const sensorKey = (await rest<Keyed>(th, 'PUT', '/devices/thermo-1', { deviceId: 'thermo-1' })).authentication.symmetricKey.primaryKey
    await rest(th, 'PATCH', '/twins/thermo-1', { tags: { location: 'lobby' }, properties: { desired: { interval: 5 } } })
    sensor = await openClient(th, 'thermo-1', sensorKey)
    sensor.onDeviceMethod('setInterval', (req, res) => void res!.send(200, { interval: (req!.payload as { seconds?: number }).seconds, applied: true }))
    sensor.on('message', (msg) => {
      c2dReceived.push(msg.getData().toString())
      sensor.complete(msg, () => undefined)
    })
    const twin = await sensor.getTwin()
    await done((cb) => twin.properties.reported.update({ firmware: '1.2.3' }, cb))

    await rest(th, 'PUT', '/devices/EdgeCam', { deviceId: 'EdgeCam', capabilities: { iotEdge: true } })
    await rest(th, 'POST', '/devices/EdgeCam/applyConfigurationContent', deployment)
    const agentKey = (await rest<Keyed>(th, 'GET', '/devices/EdgeCam/modules/$edgeAgent')).authentication.symmetricKey.primaryKey
    agent = await openModule(th, 'EdgeCam', '$edgeAgent', agentKey)
    const agentTwin = await agent.getTwin()
    const desiredVersion = (agentTwin.properties.desired as { $version: number }).$version
    await done((cb) => agentTwin.properties.reported.update(agentReport(desiredVersion, 1), cb))
    agent.onMethod('RestartModule', (req, res) => {
      restarts.push(req!.payload)
      void done((cb) => agentTwin.properties.reported.update(agentReport(desiredVersion, 2), cb)).then(() => res!.send(200, null))
    })
    const detectorKey = (await rest<Keyed>(th, 'PUT', '/devices/EdgeCam/modules/face-detector', { deviceId: 'EdgeCam', moduleId: 'face-detector' })).authentication.symmetricKey.primaryKey
    detector = await openModule(th, 'EdgeCam', 'face-detector', detectorKey)
  })

  after(async () => {
    await Promise.allSettled([sensor?.close(), agent?.close(), detector?.close()])
    await browser?.close()
    await th?.close()
  })

  test('logging in with a connection string: the devices page lists the connected device', { timeout: TIMEOUT }, async (t) => {
    if (!requireEnvironment(t, problem)) return
    await page.goto(`${th.url}/dashboard/`)
    await page.getByLabel('Hub connection string').fill(th.serviceConnectionString)
    await page.getByRole('button', { name: 'Log in' }).click()
    const row = page.getByTestId('device-row').filter({ hasText: 'thermo-1' })
    await row.getByText('Connected').waitFor()
    assert.match(await row.innerText(), /location=lobby/)
    await page.getByTestId('device-row').filter({ hasText: 'EdgeCam' }).getByText('edge', { exact: true }).waitFor()
    await shoot(page, 'devices')

    // Filters run on the hub: only edge devices, then a search that matches nothing shows what to do.
    await page.getByLabel('Kind').selectOption('edge')
    await waitFor(async () => (await page.getByTestId('device-row').count()) === 1, 'only the edge device to be listed')
    assert.match(await page.getByTestId('device-row').innerText(), /EdgeCam/)
    await page.getByLabel('Search device id').fill('nothing-like-this')
    await page.getByText('No device matches these filters').waitFor()
    await page.getByRole('button', { name: 'Clear filters' }).first().click()
    await waitFor(async () => (await page.getByTestId('device-row').count()) === 2, 'both devices to be listed again')
  })

  test('a kind chosen as the devices page opens stays chosen: the pause of the search box does not undo it', { timeout: TIMEOUT }, async (t) => {
    if (!requireEnvironment(t, problem)) return
    // The page opens afresh (the login is kept in the tab) and the kind is chosen at once, inside the 300 ms pause
    // the search box waits before it applies the filter: that pause used to apply the draft it started with (any
    // kind), so the list went back to both devices for good (seen once in a full CI run).
    await page.reload()
    await page.getByLabel('Kind').selectOption('edge')
    await waitFor(async () => (await page.getByTestId('device-row').count()) === 1, 'only the edge device to be listed')
    await new Promise((r) => setTimeout(r, 1000))
    assert.equal(await page.getByTestId('device-row').count(), 1, 'still only the edge device, after the pause')
    assert.match(await page.getByTestId('device-row').innerText(), /EdgeCam/)
    await page.getByRole('button', { name: 'Clear filters' }).first().click()
    await waitFor(async () => (await page.getByTestId('device-row').count()) === 2, 'both devices to be listed again')
  })

  test('device detail shows its twin; a method invoked from the page shows the SDK client answer; C2D arrives', { timeout: TIMEOUT }, async (t) => {
    if (!requireEnvironment(t, problem)) return
    await page.getByRole('link', { name: 'thermo-1' }).click()
    await page.getByRole('heading', { name: 'thermo-1', level: 1 }).waitFor()
    await page.getByTestId('twin-desired').getByText('"interval": 5').waitFor()
    await page.getByTestId('twin-reported').getByText('"firmware": "1.2.3"').waitFor()

    await page.getByLabel('Method name').fill('setInterval')
    await page.getByLabel('Payload (JSON)').fill('{"seconds": 7}')
    await page.getByRole('button', { name: 'Invoke' }).click()
    const result = page.getByTestId('method-result')
    await result.waitFor()
    const text = await result.innerText()
    assert.match(text, /status 200/)
    assert.match(text, /"interval": 7/)
    assert.match(text, /"applied": true/)

    await page.getByLabel('Message body').fill('{"led":"on"}')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.getByText('Queued for thermo-1').waitFor()
    await waitFor(() => c2dReceived.includes('{"led":"on"}'), 'the C2D message to reach the SDK client')
    await shoot(page, 'device-detail')
  })

  test("an edge device's modules come from $edgeAgent; restarting one calls RestartModule", { timeout: TIMEOUT }, async (t) => {
    if (!requireEnvironment(t, problem)) return
    await page.goto(`${th.url}/dashboard/#/devices/EdgeCam`)
    const camera = page.getByTestId('module-row').filter({ hasText: 'camera' })
    await camera.getByText('running').first().waitFor()
    assert.equal(await page.getByTestId('module-row').count(), 4)
    assert.match(await page.getByTestId('module-row').filter({ hasText: 'face-detector' }).innerText(), /running/)
    assert.match(await camera.innerText(), /\b1\b/)
    await page.getByText('applied', { exact: true }).first().waitFor()
    await shoot(page, 'edge-device')
    await page.setViewportSize({ width: 768, height: 1024 })
    await shoot(page, 'edge-device-tablet')
    await page.setViewportSize({ width: 1280, height: 900 })

    await page.getByRole('button', { name: 'Restart module camera' }).click()
    await page.getByText('camera restarted.').waitFor()
    assert.deepEqual(restarts, [{ schemaVersion: '1.0', id: 'camera' }])
    await waitFor(async () => /\b2\b/.test(await camera.innerText()), 'the restart count to show 2')
  })

  test('the live stream shows messages as they arrive, with properties; pause and resume lose nothing', { timeout: TIMEOUT }, async (t) => {
    if (!requireEnvironment(t, problem)) return
    await page.goto(`${th.url}/dashboard/#/live?device=thermo-1`)
    await page.getByText('live', { exact: true }).waitFor()
    const msg = new sdk.Message(JSON.stringify({ temperature: 21.5 }))
    msg.properties.add('alert', 'high')
    msg.contentType = 'application/json'
    msg.contentEncoding = 'utf-8'
    await sensor.sendEvent(msg)
    const item = page.getByTestId('message').filter({ hasText: '"temperature": 21.5' })
    await item.waitFor()
    assert.match(await item.innerText(), /alert\s*high/)

    await page.getByRole('button', { name: 'Pause' }).click()
    await page.getByRole('button', { name: 'Resume' }).waitFor()
    await sensor.sendEvent(new sdk.Message(JSON.stringify({ temperature: 22.5 })))
    await new Promise((r) => setTimeout(r, 700))
    assert.equal(await page.getByTestId('message').filter({ hasText: '22.5' }).count(), 0, 'nothing is shown while paused')
    await page.getByRole('button', { name: 'Resume' }).click()
    await page.getByTestId('message').filter({ hasText: '"temperature": 22.5' }).waitFor()
    await sensor.sendEvent(new sdk.Message(JSON.stringify({ temperature: 23.5 })))
    await page.getByTestId('message').filter({ hasText: '"temperature": 23.5' }).waitFor()
    assert.equal(await page.getByTestId('message').filter({ hasText: '22.5' }).count(), 1, 'the message sent while paused is shown once')
    await shoot(page, 'live-messages')
  })

  test("applying a bad manifest shows the hub's validation errors", { timeout: TIMEOUT }, async (t) => {
    if (!requireEnvironment(t, problem)) return
    await page.goto(`${th.url}/dashboard/#/deployments`)
    const row = page.getByTestId('deployment-row').filter({ hasText: 'EdgeCam' })
    await row.getByText('applied').waitFor()
    assert.match(await row.innerText(), /2 \/ 2/)
    await shoot(page, 'deployments')

    await row.getByRole('link', { name: 'EdgeCam' }).click()
    await page.getByText('Current manifest (from the module twins)').click()
    await page.getByText('"FROM /messages/modules/face-detector/* INTO $upstream"').waitFor()
    await page.getByLabel('Manifest (JSON)').fill(JSON.stringify({ modulesContent: { $edgeAgent: { 'properties.desired': { schemaVersion: '1.1' } }, camera: { nonsense: true } } }))
    await page.getByRole('button', { name: 'Apply to EdgeCam' }).click()
    const error = page.getByTestId('apply-error')
    await error.waitFor()
    const text = await error.innerText()
    assert.match(text, /The hub refused the manifest/)
    assert.match(text, /\$edgeHub is missing/)
    await shoot(page, 'deployment-error')

    await page.getByLabel('Manifest (JSON)').fill('{"modulesContent": ')
    await page.getByRole('button', { name: 'Apply to EdgeCam' }).click()
    await page.getByText('The manifest is not JSON').waitFor()
  })

  test('the crowd view shows a forwarded frame with the faces boxed, the count over time, frames analysed vs sent', { timeout: TIMEOUT }, async (t) => {
    if (!requireEnvironment(t, problem)) return
    const jpeg = await sampleJpeg()
    const send = async (output: string, body: Buffer | string, contentType: 'application/json' | 'image/jpeg', props: Record<string, string>): Promise<void> => {
      const m = new sdk.Message(body)
      // The SDK's typings allow only application/json, but any content type goes on the wire ($.ct).
      ;(m as { contentType?: string }).contentType = contentType
      if (contentType === 'application/json') m.contentEncoding = 'utf-8'
      for (const [k, v] of Object.entries(props)) m.properties.add(k, v)
      await detector.sendOutputEvent(output, m)
    }
    // Four frames analysed; the detector forwards only the one with three faces.
    for (const [i, count] of [0, 1, 2, 3].entries()) {
      const frameId = `f${i + 1}`
      await send('detections', JSON.stringify({ faceCount: count, boxes: BOXES.slice(0, count), scores: BOXES.slice(0, count).map(() => 0.9), cameraId: 'cam1', frameId, model: 'tiny', inferenceMs: 41, width: 640, height: 427 }), 'application/json', { cameraId: 'cam1', frameId })
    }
    await send('frames', jpeg, 'image/jpeg', { cameraId: 'cam1', frameId: 'f4', width: '640', height: '427' })

    await page.goto(`${th.url}/dashboard/#/crowd/EdgeCam`)
    const frame = page.getByTestId('frame')
    await frame.waitFor()
    // (No string predicates: the dashboard's Content-Security-Policy forbids eval, which they need.)
    await waitFor(() => frame.locator('img').evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth === 640), 'the frame to load')
    assert.equal(await frame.getByTestId('face-box').count(), 3)
    assert.match(await frame.innerText(), /3\s*faces/)
    assert.equal(await page.getByTestId('frames-analysed').innerText(), '4')
    assert.equal(await page.getByTestId('frames-sent').innerText(), '1')
    assert.equal(await page.getByTestId('people-now').innerText(), '3')
    await page.locator('.chart canvas').first().waitFor()
    // The boxes sit where the detector said, scaled with the picture.
    const box = await frame.getByTestId('face-box').first().locator('rect').boundingBox()
    const img = await frame.locator('img').boundingBox()
    assert.ok(box && img)
    assert.ok(Math.abs(box.x - img.x - (133 * img.width) / 640) < 3, `box x ${box.x - img.x} vs ${(133 * img.width) / 640}`)
    await shoot(page, 'crowd-analytics')
  })

  test('a token printed by `ledge hub dashboard-token` logs in through its URL', { timeout: TIMEOUT }, async (t) => {
    if (!requireEnvironment(t, problem)) return
    const cli = spawnSync(process.execPath, [join(repoRoot, 'packages/cli/bin/ledge.js'), 'hub', 'dashboard-token', '--login', th.serviceConnectionString, '--hub-url', th.url, '--duration', '10m', '-o', 'json'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
    assert.equal(cli.status, 0, cli.stderr)
    const { url } = JSON.parse(cli.stdout) as { url: string }
    const fresh = await browser.newContext({ ignoreHTTPSErrors: true })
    try {
      const p = await fresh.newPage()
      await p.goto(url)
      await p.getByTestId('device-row').filter({ hasText: 'thermo-1' }).waitFor()
      assert.ok(!p.url().includes('token='), 'the token is removed from the address bar')
      await p.getByText('iothubowner@').waitFor()
      // A token that has expired is refused with what to do.
      await p.getByRole('button', { name: 'Log out' }).click()
      const expired = await createServiceSasToken({ hostName: th.host, policyName: 'iothubowner', keyBase64: parseServiceConnectionString(th.serviceConnectionString).sharedAccessKey, expiresAt: Date.now() / 1000 - 10 })
      await p.getByLabel('a token from the CLI').check()
      await p.getByLabel('SAS token').fill(expired)
      await p.getByRole('button', { name: 'Log in' }).click()
      await p.getByText(/expired .*ledge hub dashboard-token/).waitFor()
      await shoot(p, 'login')
    } finally {
      await fresh.close()
    }
  })

  test('the pages raised no uncaught errors', (t) => {
    if (!requireEnvironment(t, problem)) return
    assert.deepEqual(pageErrors, [])
  })
})

/** Screenshots the page after checking that every form control and button has an accessible name. */
async function shoot(page: Page, name: string): Promise<void> {
  // A string, run in the page: this test program is type-checked without the DOM library.
  const unnamed = await page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim())))
    .map((el) => el.outerHTML.slice(0, 120))`)
  assert.deepEqual(unnamed, [], `controls without a label on ${name}`)
  await page.screenshot({ path: screenshotPath(name), fullPage: true })
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
