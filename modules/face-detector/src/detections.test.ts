import { test } from 'node:test'
import assert from 'node:assert/strict'
import { blurRegion } from './blur.js'
import { detectionsOf, frameFacts, keepFaces } from './detections.js'
import { ForwardGate } from './forward-gate.js'

const face = (x: number, size: number, score = 0.9) => ({ x, y: 10, width: size, height: size, score })

test('faces smaller than minFaceSize are dropped; the detections body rounds and carries the frame facts', () => {
  const faces = keepFaces([face(0, 10), face(50, 40.4, 0.87654)], 20)
  const d = detectionsOf(frameFacts({ cameraId: 'c', frameId: '7', captureTime: 't', width: '640' }), { faces, width: 640, height: 480, inferenceMs: 51.26, decodeMs: 3.04 }, 'tiny', true)
  assert.deepEqual(d, { cameraId: 'c', frameId: '7', captureTime: 't', model: 'tiny', faceCount: 1, boxes: [{ x: 50, y: 10, width: 40, height: 40 }], scores: [0.877], inferenceMs: 51.3, decodeMs: 3, width: 640, height: 480, forwarded: true })
})

test('forward policies', () => {
  const g = new ForwardGate()
  assert.deepEqual([0, 1, 2].map((n) => g.decide('a', n, 'threshold', 2)), [false, false, true])
  assert.equal(g.decide('a', 5, 'always', 9), true)
  assert.equal(g.decide('a', 5, 'never', 0), false)
  const c = new ForwardGate()
  assert.deepEqual([2, 2, 3, 0, 3, 3].map((n) => c.decide('cam', n, 'on-change', 1)), [true, false, true, false, true, false])
  assert.equal(c.decide('other', 3, 'on-change', 1), true, 'counts are kept per camera')
})

test('blur regions grow by a margin and stay inside the frame', () => {
  assert.deepEqual(blurRegion({ x: 100, y: 100, width: 50, height: 50 }, 640, 480), { left: 90, top: 90, width: 70, height: 70 })
  assert.deepEqual(blurRegion({ x: -5, y: 460, width: 30, height: 30 }, 640, 480), { left: 0, top: 454, width: 31, height: 26 })
  assert.equal(blurRegion({ x: 700, y: 0, width: 10, height: 10 }, 640, 480), undefined)
})
