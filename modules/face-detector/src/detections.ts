/**
 * What the detector says about a frame, as the JSON body of a `detections` message. Pure.
 *
 * ```json
 * {"cameraId":"camera","frameId":"42","captureTime":"2025-…Z","model":"tiny","faceCount":2,
 *  "boxes":[{"x":12,"y":40,"width":88,"height":90},…],"scores":[0.91,0.77],"inferenceMs":58.2,"decodeMs":4.1,
 *  "width":640,"height":480,"forwarded":true}
 * ```
 * A frame that cannot be decoded gives `{"cameraId","frameId","captureTime","error":{"code":"ERR_FRAME_CORRUPT","message"}}`
 * instead (no `faceCount`).
 */
import type { FaceBox } from './detector/protocol.js'
import type { ModelName } from './settings.js'

export const DETECTIONS_OUTPUT = 'detections'
export const FRAMES_OUTPUT = 'frames'

export interface FrameFacts {
  cameraId?: string
  frameId?: string
  captureTime?: string
}

export interface Detections extends FrameFacts {
  model: ModelName
  faceCount: number
  boxes: { x: number; y: number; width: number; height: number }[]
  scores: number[]
  inferenceMs: number
  decodeMs: number
  width: number
  height: number
  forwarded: boolean
}

export interface DetectionError extends FrameFacts {
  error: { code: string; message: string }
}

const round = (n: number, places = 1): number => Math.round(n * 10 ** places) / 10 ** places

/** Faces at least `minFaceSize` pixels on their shorter side. */
export function keepFaces(faces: readonly FaceBox[], minFaceSize: number): FaceBox[] {
  return faces.filter((f) => Math.min(f.width, f.height) >= minFaceSize)
}

export function detectionsOf(
  facts: FrameFacts,
  r: { faces: readonly FaceBox[]; width: number; height: number; inferenceMs: number; decodeMs: number },
  model: ModelName,
  forwarded: boolean,
): Detections {
  return {
    ...facts,
    model,
    faceCount: r.faces.length,
    boxes: r.faces.map((f) => ({ x: Math.round(f.x), y: Math.round(f.y), width: Math.round(f.width), height: Math.round(f.height) })),
    scores: r.faces.map((f) => round(f.score, 3)),
    inferenceMs: round(r.inferenceMs),
    decodeMs: round(r.decodeMs),
    width: r.width,
    height: r.height,
    forwarded,
  }
}

/** The frame's identifying properties, as the camera set them. */
export function frameFacts(properties: Readonly<Record<string, string>>): FrameFacts {
  const facts: FrameFacts = {}
  if (properties.cameraId !== undefined) facts.cameraId = properties.cameraId
  if (properties.frameId !== undefined) facts.frameId = properties.frameId
  if (properties.captureTime !== undefined) facts.captureTime = properties.captureTime
  return facts
}
