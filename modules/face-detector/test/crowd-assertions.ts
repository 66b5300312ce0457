/**
 * What the crowd-analytics end-to-end tests (process modules and containers) check in the hub's events: detections
 * from the face-detector and the frames it forwarded, matched frame by frame.
 */
import assert from 'node:assert/strict'
import { eventually, type HubEventLog, type SeenEvent } from './e2e-helpers.js'

export const DETECTOR = 'face-detector'

export const isDetection = (e: SeenEvent): boolean => e.moduleId === DETECTOR && e.bodyEncoding === 'json' && e.body?.frameId !== undefined
export const isFrame = (e: SeenEvent): boolean => e.moduleId === DETECTOR && e.jpeg
export const frameKey = (p: { cameraId?: string; frameId?: string }): string => `${p.cameraId}/${p.frameId}`

/** Each detection is well formed, and says it was forwarded exactly when it counted at least `threshold` faces. */
export function assertDetections(detections: readonly SeenEvent[], threshold: number): void {
  for (const d of detections) {
    assert.equal(d.systemProperties.contentType, 'application/json')
    assert.equal(d.properties.faceCount, String(d.body.faceCount))
    assert.equal(d.body.model, 'tiny')
    assert.equal(d.body.forwarded, d.body.faceCount >= threshold, `forwarded iff faceCount >= ${threshold} (the deployed threshold): ${JSON.stringify(d.body)}`)
    if (d.body.faceCount > 0) assert.equal(d.body.boxes.length, d.body.faceCount)
  }
}

/**
 * Every forwarded frame has a detection of the same camera frame that counted at least `threshold` faces and says
 * it was forwarded, with the same face count; no detection with no face has a forwarded frame.
 */
export function assertFramesMatchDetections(events: readonly SeenEvent[], threshold: number): void {
  const detections = new Map(events.filter(isDetection).map((e) => [frameKey(e.body), e.body]))
  const frames = events.filter((e) => e.moduleId === DETECTOR && e.bodyEncoding === 'base64')
  assert.ok(frames.length >= 1)
  for (const f of frames) {
    assert.ok(f.jpeg, 'a forwarded frame is a JPEG')
    assert.equal(f.systemProperties.contentType, 'image/jpeg')
    assert.equal(f.systemProperties.outputName, 'frames')
    const d = detections.get(frameKey(f.properties))
    assert.ok(d, `a detection for forwarded frame ${frameKey(f.properties)}`)
    assert.ok(d.faceCount >= threshold, `forwarded frame ${frameKey(f.properties)} has ${d.faceCount} faces`)
    assert.equal(d.forwarded, true)
    assert.equal(f.properties.faceCount, String(d.faceCount))
  }
  const forwarded = new Set(frames.map((f) => frameKey(f.properties)))
  const empty = [...detections.values()].filter((d) => d.faceCount === 0)
  assert.ok(empty.length >= 2, 'frames without faces were analysed')
  for (const d of empty) assert.ok(!forwarded.has(frameKey(d)), `frame ${frameKey(d)} without faces was forwarded`)
}

/**
 * After the forward threshold went above any frame's face count (at `mark` in the hub's events): detections go on (at
 * least two of frames with faces, not forwarded, within `timeoutMs`) and every frame that reached the hub after `mark`
 * was one forwarded under the old threshold. Returns the keys of the frames forwarded before.
 */
export async function assertForwardingStopped(hubEvents: HubEventLog, mark: number, timeoutMs: number): Promise<Set<string>> {
  await eventually(async () => {
    await hubEvents.poll()
    const d = hubEvents.all.filter((e) => isDetection(e) && e.offset >= mark && e.body.faceCount >= 1 && !e.body.forwarded)
    return d.length >= 2 ? true : undefined
  }, timeoutMs, 'detections of frames with faces that were not forwarded', 2000)
  const forwardedEarlier = new Set(hubEvents.all.filter((e) => isDetection(e) && e.body.forwarded).map((e) => frameKey(e.body)))
  for (const f of hubEvents.all.filter((e) => isFrame(e) && e.offset >= mark)) {
    assert.ok(forwardedEarlier.has(frameKey(f.properties)), `frame ${frameKey(f.properties)} was forwarded under the new threshold`)
  }
  return forwardedEarlier
}
