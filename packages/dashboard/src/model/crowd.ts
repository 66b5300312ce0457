/**
 * Crowd analytics from the events stream of a camera edge device. The face-detector module sends, for every frame it
 * analyses, a `detections` JSON message (`{faceCount, boxes: [{x, y, width, height}], scores, cameraId, frameId, …}`)
 * and, for frames worth it, the frame itself on output `frames` (contentType image/jpeg). This file is tolerant on
 * purpose: boxes as objects or arrays, pixel or normalised coordinates, ids in the body or in the properties.
 */
import type { HubEvent } from '../api/client.js'

export interface Box {
  x: number
  y: number
  width: number
  height: number
  score?: number
}

export interface Detection {
  offset: number
  /** Epoch ms: the capture time when given, else when the hub accepted the message. */
  time: number
  faceCount: number
  boxes: Box[]
  cameraId: string | undefined
  frameId: string | undefined
  /** Frame size when the message gives it (needed for nothing but shown). */
  frameWidth: number | undefined
  frameHeight: number | undefined
  /** Boxes in 0..1 of the frame rather than pixels. */
  normalised: boolean
  model: string | undefined
  inferenceMs: number | undefined
}

export interface Frame {
  offset: number
  time: number
  /** base64 JPEG (or whatever image type `contentType` says). */
  base64: string
  contentType: string
  bytes: number
  cameraId: string | undefined
  frameId: string | undefined
  /** The face count the detector put in the frame's properties, for when its detections message is not seen. */
  faceCount: number | undefined
}

export type Classified = { kind: 'frame'; frame: Frame } | { kind: 'detection'; detection: Detection } | { kind: 'other' }

type Json = Record<string, unknown>

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined
}
function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return undefined
}
function id(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined
}

/** A property by any of its usual spellings (`frameId`, `frame-id`, `frame_id`, `FrameId`). */
function prop(bag: Record<string, unknown> | undefined, name: string): unknown {
  if (!bag) return undefined
  const want = name.toLowerCase().replace(/[-_]/g, '')
  for (const [k, v] of Object.entries(bag)) if (k.toLowerCase().replace(/[-_]/g, '') === want) return v
  return undefined
}

function timeOf(e: HubEvent, ...candidates: unknown[]): number {
  for (const c of candidates) {
    if (typeof c === 'number' && Number.isFinite(c)) return c > 1e12 ? c : c * 1000
    if (typeof c === 'string') {
      const t = Date.parse(c)
      if (!Number.isNaN(t)) return t
    }
  }
  const t = Date.parse(e.enqueuedTimeUtc)
  return Number.isNaN(t) ? Date.now() : t
}

/** One box from `{x,y,width,height}`, `{left,top,right,bottom}`, `{box: …}`, `{_box: …}` or `[x, y, w, h]`. */
export function parseBox(v: unknown): Box | undefined {
  if (Array.isArray(v) && v.length >= 4) {
    const [x, y, w, h] = v.map(num)
    return x !== undefined && y !== undefined && w !== undefined && h !== undefined && w > 0 && h > 0 ? { x, y, width: w, height: h } : undefined
  }
  const o = obj(v)
  if (!o) return undefined
  const inner = obj(o.box) ?? obj(o._box) ?? obj(o.boundingBox) ?? obj(o.bbox)
  if (inner) {
    const b = parseBox(inner)
    const score = num(o.score) ?? num(o.confidence)
    return b && score !== undefined ? { ...b, score } : b
  }
  const x = num(o.x) ?? num(o.left) ?? num(o._x)
  const y = num(o.y) ?? num(o.top) ?? num(o._y)
  const width = num(o.width) ?? num(o.w) ?? num(o._width) ?? (num(o.right) !== undefined && x !== undefined ? num(o.right)! - x : undefined)
  const height = num(o.height) ?? num(o.h) ?? num(o._height) ?? (num(o.bottom) !== undefined && y !== undefined ? num(o.bottom)! - y : undefined)
  if (x === undefined || y === undefined || width === undefined || height === undefined || width <= 0 || height <= 0) return undefined
  const score = num(o.score) ?? num(o.confidence)
  return { x, y, width, height, ...(score !== undefined ? { score } : {}) }
}

function outputOf(e: HubEvent): string | undefined {
  return e.systemProperties.outputName ?? (prop(e.properties, 'outputName') as string | undefined)
}

function contentTypeOf(e: HubEvent): string {
  return String(e.systemProperties.contentType ?? prop(e.properties, 'contentType') ?? '').toLowerCase()
}

/** A detections message: JSON with faceCount or boxes (any output), or anything JSON on output `detections`. */
export function parseDetection(e: HubEvent): Detection | undefined {
  if (e.bodyEncoding !== 'json') return undefined
  const b = obj(e.body)
  if (!b) return undefined
  const boxesRaw = Array.isArray(b.boxes) ? b.boxes : Array.isArray(b.faces) ? b.faces : Array.isArray(b.detections) ? b.detections : undefined
  const faceCount = num(b.faceCount) ?? num(b.count) ?? num(b.faces) ?? boxesRaw?.length
  if (faceCount === undefined && outputOf(e) !== 'detections') return undefined
  // A frame the detector could not decode is reported as {cameraId, frameId, error}: not an analysed frame.
  if (faceCount === undefined && b.error !== undefined) return undefined
  const scores = Array.isArray(b.scores) ? b.scores.map(num) : []
  const boxes: Box[] = []
  for (const [i, raw] of (boxesRaw ?? []).entries()) {
    const box = parseBox(raw)
    if (!box) continue
    const score = box.score ?? scores[i]
    boxes.push(score !== undefined ? { ...box, score } : box)
  }
  const frameWidth = num(b.width) ?? num(b.frameWidth) ?? num(obj(b.frame)?.width) ?? num(prop(e.properties, 'width'))
  const frameHeight = num(b.height) ?? num(b.frameHeight) ?? num(obj(b.frame)?.height) ?? num(prop(e.properties, 'height'))
  const normalised = boxes.length > 0 && boxes.every((x) => x.x >= 0 && x.y >= 0 && x.x + x.width <= 1.0001 && x.y + x.height <= 1.0001)
  return {
    offset: e.offset,
    time: timeOf(e, b.captureTime, b.capturedAt, b.timestamp, prop(e.properties, 'captureTime')),
    faceCount: faceCount ?? boxes.length,
    boxes,
    cameraId: id(b.cameraId) ?? id(prop(e.properties, 'cameraId')),
    frameId: id(b.frameId) ?? id(prop(e.properties, 'frameId')),
    frameWidth, frameHeight, normalised,
    model: typeof b.model === 'string' ? b.model : undefined,
    inferenceMs: num(b.inferenceMs) ?? num(b.inferenceTimeMs) ?? num(b.inferenceTime),
  }
}

/** A frame: an image content type, or binary (base64) body on output `frames`. */
export function parseFrame(e: HubEvent): Frame | undefined {
  const ct = contentTypeOf(e)
  const isImage = ct.startsWith('image/') || (outputOf(e) === 'frames' && e.bodyEncoding === 'base64')
  if (!isImage || e.bodyEncoding !== 'base64' || typeof e.body !== 'string') return undefined
  return {
    offset: e.offset,
    time: timeOf(e, prop(e.properties, 'captureTime'), prop(e.properties, 'capturedAt')),
    base64: e.body,
    contentType: ct.startsWith('image/') ? ct.split(';')[0]! : 'image/jpeg',
    bytes: Math.floor((e.body.length * 3) / 4) - (e.body.endsWith('==') ? 2 : e.body.endsWith('=') ? 1 : 0),
    cameraId: id(prop(e.properties, 'cameraId')),
    frameId: id(prop(e.properties, 'frameId')),
    faceCount: num(prop(e.properties, 'faceCount')),
  }
}

export function classify(e: HubEvent): Classified {
  const frame = parseFrame(e)
  if (frame) return { kind: 'frame', frame }
  const detection = parseDetection(e)
  if (detection) return { kind: 'detection', detection }
  return { kind: 'other' }
}

const key = (cameraId: string | undefined, frameId: string): string => `${cameraId ?? ''}\u0000${frameId}`

/** How far apart (ms) a frame and a detection without a frame id may be and still be taken as the same frame. */
const NEAR_MS = 2000

/** The running state of the crowd view, fed one event at a time. Bounded: old frames and points fall off. */
export class CrowdModel {
  readonly frames: Frame[] = []
  readonly detections: Detection[] = []
  private readonly byFrame = new Map<string, Detection>()
  analysed = 0
  sent = 0
  bytesSent = 0
  facesSeen = 0
  cameras = new Set<string>()

  constructor(private readonly limits = { frames: 12, detections: 2000 }) {}

  add(e: HubEvent): Classified['kind'] {
    const c = classify(e)
    if (c.kind === 'frame') {
      this.sent++
      this.bytesSent += c.frame.bytes
      if (c.frame.cameraId) this.cameras.add(c.frame.cameraId)
      this.frames.unshift(c.frame)
      this.frames.length = Math.min(this.frames.length, this.limits.frames)
    } else if (c.kind === 'detection') {
      const d = c.detection
      this.analysed++
      this.facesSeen += d.faceCount
      if (d.cameraId) this.cameras.add(d.cameraId)
      this.detections.push(d)
      if (d.frameId !== undefined) this.byFrame.set(key(d.cameraId, d.frameId), d)
      if (this.detections.length > this.limits.detections) {
        const old = this.detections.shift()!
        if (old.frameId !== undefined && this.byFrame.get(key(old.cameraId, old.frameId)) === old) this.byFrame.delete(key(old.cameraId, old.frameId))
      }
    }
    return c.kind
  }

  /** The detection of a frame: by camera and frame id, else the nearest one in time from the same camera. */
  detectionFor(f: Frame): Detection | undefined {
    if (f.frameId !== undefined) {
      const exact = this.byFrame.get(key(f.cameraId, f.frameId)) ?? (f.cameraId === undefined ? undefined : this.byFrame.get(key(undefined, f.frameId)))
      if (exact) return exact
      // The detections message may not carry the camera id, or the frame may not.
      for (let i = this.detections.length - 1; i >= 0; i--) if (this.detections[i]!.frameId === f.frameId) return this.detections[i]
    }
    let best: Detection | undefined
    for (let i = this.detections.length - 1; i >= 0; i--) {
      const d = this.detections[i]!
      if (f.cameraId && d.cameraId && d.cameraId !== f.cameraId) continue
      if (f.frameId !== undefined && d.frameId !== undefined) continue
      const gap = Math.abs(d.time - f.time)
      if (gap <= NEAR_MS && (!best || gap < Math.abs(best.time - f.time))) best = d
      if (d.time < f.time - NEAR_MS) break
    }
    return best
  }

  /** People counted over time: [times in seconds, counts], for the chart. */
  series(): [number[], number[]] {
    return [this.detections.map((d) => d.time / 1000), this.detections.map((d) => d.faceCount)]
  }
}
