import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { HubEvent } from '../api/client.js'
import { CrowdModel, classify, parseBox } from './crowd.js'

let offset = 0
function ev(body: unknown, opts: Partial<HubEvent> = {}): HubEvent {
  return {
    offset: offset++, deviceId: 'EdgeCam', moduleId: 'face-detector', enqueuedTimeUtc: '2026-01-01T00:00:00.000Z',
    systemProperties: {}, properties: {}, body, bodyEncoding: typeof body === 'string' ? 'base64' : 'json', ...opts,
  }
}

test('boxes in every usual shape; nonsense is dropped', () => {
  assert.deepEqual(parseBox({ x: 1, y: 2, width: 3, height: 4 }), { x: 1, y: 2, width: 3, height: 4 })
  assert.deepEqual(parseBox([1, 2, 3, 4]), { x: 1, y: 2, width: 3, height: 4 })
  assert.deepEqual(parseBox({ left: 1, top: 2, right: 4, bottom: 6 }), { x: 1, y: 2, width: 3, height: 4 })
  assert.deepEqual(parseBox({ box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.9 }), { x: 1, y: 2, width: 3, height: 4, score: 0.9 })
  assert.equal(parseBox({ x: 1 }), undefined)
  assert.equal(parseBox({ x: 1, y: 1, width: -3, height: 4 }), undefined)
  assert.equal(parseBox('box'), undefined)
})

test('frames and detections are told apart and matched by frame id', () => {
  const m = new CrowdModel()
  const det = ev({ faceCount: 2, boxes: [{ x: 10, y: 20, width: 30, height: 40 }, { x: 0.5, y: 0, width: 1, height: 1 }], scores: [0.9, 0.8], cameraId: 'cam1', frameId: 'f7', model: 'tiny' },
    { systemProperties: { outputName: 'detections', contentType: 'application/json' } })
  const frame = ev('/9j/4AAQSkZJRg==', { systemProperties: { outputName: 'frames', contentType: 'image/jpeg' }, properties: { cameraId: 'cam1', frameId: 'f7' } })
  assert.equal(m.add(det), 'detection')
  assert.equal(m.add(frame), 'frame')
  assert.equal(m.add(ev({ temperature: 21 })), 'other')
  assert.equal(m.analysed, 1)
  assert.equal(m.sent, 1)
  const d = m.detectionFor(m.frames[0]!)
  assert.ok(d)
  assert.equal(d.faceCount, 2)
  assert.deepEqual(d.boxes[0], { x: 10, y: 20, width: 30, height: 40, score: 0.9 })
  assert.equal(d.normalised, false)
  assert.deepEqual(m.series()[1], [2])
})

test('a detection without ids is matched to the frame nearest in time; normalised boxes are recognised', () => {
  const m = new CrowdModel()
  m.add(ev({ faceCount: 1, boxes: [[0.1, 0.1, 0.2, 0.3]] }, { enqueuedTimeUtc: '2026-01-01T00:00:01.000Z' }))
  m.add(ev({ faceCount: 0, boxes: [] }, { enqueuedTimeUtc: '2026-01-01T00:00:09.000Z' }))
  m.add(ev('/9j/', { systemProperties: { contentType: 'image/jpeg' }, enqueuedTimeUtc: '2026-01-01T00:00:01.200Z' }))
  const d = m.detectionFor(m.frames[0]!)
  assert.equal(d?.faceCount, 1)
  assert.equal(d?.normalised, true)
  assert.equal(classify(ev('AAAA', { systemProperties: { outputName: 'frames' } })).kind, 'frame')
  assert.equal(classify(ev({ anything: 1 }, { systemProperties: { outputName: 'detections' } })).kind, 'detection')
  // The detector's report of a corrupt frame is not an analysed frame.
  assert.equal(classify(ev({ cameraId: 'c', frameId: '9', error: { code: 'ERR_FRAME_CORRUPT', message: 'bad' } }, { systemProperties: { outputName: 'detections' } })).kind, 'other')
  // A forwarded frame carries its face count in its properties, as the face-detector sends it.
  const f = classify(ev('/9j/', { systemProperties: { outputName: 'frames' }, properties: { faceCount: '2', contentType: 'image/jpeg' } }))
  assert.equal(f.kind === 'frame' && f.frame.faceCount, 2)
})
