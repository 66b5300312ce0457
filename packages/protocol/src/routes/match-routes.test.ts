import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { SystemProperties } from '../message.js'
import { parseEdgeHubRoutes } from './edgehub-routes.js'
import { matchRoutes } from './match-routes.js'
import { parseRoute } from './parse-route.js'
import { DEFAULT_ROUTE_PRIORITY, type NamedRoute, type RoutableMessage } from './route.js'
import { sinkId } from './sink.js'
import { messageSourceOf, moduleMessageSource, sourceMatches, TELEMETRY_SOURCE, TWIN_CHANGE_SOURCE } from './source.js'

function route(name: string, text: string, priority = DEFAULT_ROUTE_PRIORITY): NamedRoute {
  return { name, ...parseRoute(text), priority, text }
}

function msg(source: string, systemProperties: SystemProperties = {}, properties: Record<string, string> = {}, body: unknown = {}): RoutableMessage {
  return { source, body: Buffer.from(JSON.stringify(body)), systemProperties: { contentType: 'application/json', ...systemProperties }, properties }
}

const names = (routes: readonly NamedRoute[]) => routes.map((r) => r.name)

describe('message sources', () => {
  test('each kind of message gets the source IoT Edge gives it', () => {
    assert.equal(TELEMETRY_SOURCE, '/messages/events')
    assert.equal(TWIN_CHANGE_SOURCE, '/twinChangeNotifications')
    assert.equal(moduleMessageSource('camera', 'frames'), '/messages/modules/camera/outputs/frames')
    assert.equal(moduleMessageSource('camera'), '/messages/modules/camera')
    assert.equal(messageSourceOf({ connectionModuleId: 'camera', outputName: 'frames' }), '/messages/modules/camera/outputs/frames')
    assert.equal(messageSourceOf({ connectionModuleId: 'camera' }), '/messages/modules/camera')
    assert.equal(messageSourceOf({}), '/messages/events')
    assert.equal(messageSourceOf({ outputName: 'ignored-without-a-module' }), '/messages/events')
  })

  const kinds = {
    telemetry: '/messages/events',
    cameraFrames: '/messages/modules/camera/outputs/frames',
    cameraNoOutput: '/messages/modules/camera',
    camera2Frames: '/messages/modules/camera2/outputs/frames',
    twin: '/twinChangeNotifications',
  }
  type Kind = keyof typeof kinds
  const table: [source: string, takes: Kind[]][] = [
    ['/*', ['telemetry', 'cameraFrames', 'cameraNoOutput', 'camera2Frames', 'twin']],
    ['/', ['telemetry', 'cameraFrames', 'cameraNoOutput', 'camera2Frames', 'twin']],
    ['/messages/*', ['telemetry', 'cameraFrames', 'cameraNoOutput', 'camera2Frames']],
    ['/messages', ['telemetry', 'cameraFrames', 'cameraNoOutput', 'camera2Frames']],
    ['/messages/events', ['telemetry']],
    ['/messages/modules/*', ['cameraFrames', 'cameraNoOutput', 'camera2Frames']],
    ['/messages/modules/camera/*', ['cameraFrames', 'cameraNoOutput']],
    ['/messages/modules/camera', ['cameraFrames', 'cameraNoOutput']],
    ['/messages/modules/CAMERA/*', ['cameraFrames', 'cameraNoOutput']],
    ['/messages/modules/camera/outputs/*', ['cameraFrames']],
    ['/messages/modules/camera/outputs/frames', ['cameraFrames']],
    ['/messages/modules/camera/outputs/frames/*', ['cameraFrames']],
    ['/messages/modules/camera/outputs/frame', []],
    ['/messages/modules/cam/*', []],
    ['/twinChangeNotifications', ['twin']],
    ['/twinchangenotifications/*', ['twin']],
  ]
  for (const [source, takes] of table) {
    test(`FROM ${source}`, () => {
      const r = route('r', `FROM ${source} INTO $upstream`)
      for (const [kind, messageSource] of Object.entries(kinds) as [Kind, string][]) {
        assert.equal(sourceMatches(source, messageSource), takes.includes(kind), `${source} vs ${messageSource}`)
        assert.equal(matchRoutes([r], msg(messageSource)).length, takes.includes(kind) ? 1 : 0)
      }
    })
  }
})

describe('matchRoutes: sinks and priorities', () => {
  const m = msg('/messages/modules/camera/outputs/frames', { connectionModuleId: 'camera', outputName: 'frames' }, { faceCount: '3' })

  test('a message goes to each matching sink once', () => {
    const routes = [
      route('all', 'FROM /messages/* INTO $upstream'),
      route('camera', 'FROM /messages/modules/camera/* INTO $upstream'),
      route('detector', 'FROM /messages/modules/camera/outputs/frames INTO BrokeredEndpoint("/modules/face-detector/inputs/frames")'),
      route('detector-again', 'FROM /messages/* WHERE $connectionModuleId = \'camera\' INTO BrokeredEndpoint("/modules/face-detector/inputs/frames")'),
      route('other-input', 'FROM /messages/* INTO BrokeredEndpoint("/modules/face-detector/inputs/other")'),
      route('no', "FROM /messages/* WHERE faceCount = '0' INTO BrokeredEndpoint(\"/modules/archiver/inputs/in\")"),
    ]
    const got = matchRoutes(routes, m)
    assert.deepEqual(names(got), ['all', 'detector', 'other-input'])
    assert.deepEqual(got.map((r) => sinkId(r.sink)), ['$upstream', '/modules/face-detector/inputs/frames', '/modules/face-detector/inputs/other'])
  })

  test('of the routes sharing a sink, the highest priority (lowest number) wins; the first on a tie', () => {
    const routes = [
      route('default', 'FROM /messages/* INTO $upstream'),
      route('p5', 'FROM /messages/modules/* INTO $upstream', 5),
      route('p1', "FROM /messages/* WHERE AS_NUMBER(faceCount) > 1 INTO $upstream", 1),
      route('p1-later', 'FROM /messages/modules/camera/* INTO $upstream', 1),
      route('p0-false', "FROM /messages/* WHERE faceCount = '0' INTO $upstream", 0),
    ]
    assert.deepEqual(names(matchRoutes(routes, m)), ['p1'])
    assert.deepEqual(names(matchRoutes([...routes].reverse(), m)), ['p1-later'])
    assert.deepEqual(names(matchRoutes(routes, msg(TELEMETRY_SOURCE))), ['default'])
  })

  test('no route, no sink', () => {
    assert.deepEqual(matchRoutes([], m), [])
    assert.deepEqual(matchRoutes([route('twin', 'FROM /twinChangeNotifications INTO $upstream')], m), [])
  })

  test('works on plain parsed routes carrying a priority', () => {
    const plain = { ...parseRoute('FROM /* INTO $upstream'), priority: 0 }
    assert.deepEqual(matchRoutes([plain], msg(TWIN_CHANGE_SOURCE)), [plain])
  })
})

describe('Azure samples, from the $edgeHub desired properties to the sinks', () => {
  test('SimulatedTemperatureSensor → filtermodule → upstream', () => {
    const { routes, errors } = parseEdgeHubRoutes({
      schemaVersion: '1.1',
      routes: {
        sensorToFilter: 'FROM /messages/modules/SimulatedTemperatureSensor/outputs/temperatureOutput INTO BrokeredEndpoint("/modules/filtermodule/inputs/input1")',
        filterToIoTHub: { route: 'FROM /messages/modules/filtermodule/outputs/output1 INTO $upstream', priority: 0, timeToLiveSecs: 86400 },
        hot: 'FROM /messages/modules/SimulatedTemperatureSensor/outputs/* WHERE $body.machine.temperature > 25 INTO $upstream',
      },
      storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
    })
    assert.deepEqual(errors, [])
    const reading = (t: number) =>
      msg('/messages/modules/SimulatedTemperatureSensor/outputs/temperatureOutput', { connectionDeviceId: 'edge1', connectionModuleId: 'SimulatedTemperatureSensor', outputName: 'temperatureOutput' }, {}, { machine: { temperature: t, pressure: 1 }, ambient: { temperature: 21 } })
    assert.deepEqual(names(matchRoutes(routes, reading(20))), ['sensorToFilter'])
    assert.deepEqual(names(matchRoutes(routes, reading(26))), ['sensorToFilter', 'hot'])
    const filtered = matchRoutes(routes, msg('/messages/modules/filtermodule/outputs/output1', { connectionModuleId: 'filtermodule', outputName: 'output1' }))
    assert.deepEqual(filtered.map((r) => [r.name, r.priority, r.timeToLiveSecs]), [['filterToIoTHub', 0, 86400]])
  })

  test('crowd analytics: camera → face-detector → upstream when faces are seen; leaf telemetry upstream', () => {
    const { routes, errors } = parseEdgeHubRoutes({
      schemaVersion: '1.0',
      routes: {
        frames: 'FROM /messages/modules/camera/outputs/frames INTO BrokeredEndpoint("/modules/face-detector/inputs/frames")',
        faces: 'FROM /messages/modules/face-detector/outputs/frames WHERE AS_NUMBER(faceCount) >= 1 INTO $upstream',
        leaves: 'FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream',
      },
    })
    assert.deepEqual(errors, [])
    const frame = msg(moduleMessageSource('camera', 'frames'), { connectionModuleId: 'camera', outputName: 'frames', contentType: 'image/jpeg' })
    const detected = (n: string) => msg(moduleMessageSource('face-detector', 'frames'), { connectionModuleId: 'face-detector', outputName: 'frames' }, { faceCount: n })
    const leaf = msg(TELEMETRY_SOURCE, { connectionDeviceId: 'door-sensor' })
    assert.deepEqual(matchRoutes(routes, frame).map((r) => sinkId(r.sink)), ['/modules/face-detector/inputs/frames'])
    assert.deepEqual(names(matchRoutes(routes, detected('2'))), ['faces'])
    assert.deepEqual(names(matchRoutes(routes, detected('0'))), [])
    assert.deepEqual(names(matchRoutes(routes, detected('many'))), [])
    assert.deepEqual(names(matchRoutes(routes, leaf)), ['leaves'])
    assert.ok(routes.every((r) => r.priority === DEFAULT_ROUTE_PRIORITY && r.timeToLiveSecs === undefined))
  })
})
