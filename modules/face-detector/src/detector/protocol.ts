/** The messages between the detector's main thread and its worker threads. */
import type { ModelName } from '../settings.js'

export interface DetectOptions {
  model: ModelName
  scoreThreshold: number
  inputSize: number
}

/** A face in frame pixels. */
export interface FaceBox {
  x: number
  y: number
  width: number
  height: number
  score: number
}

export interface WorkerInit {
  /** Models to load before reporting ready; others load on first use. */
  preload: ModelName[]
}

export type ToWorker = { type: 'detect'; id: number; jpeg: Uint8Array; options: DetectOptions }

export type DetectOutcome =
  | { ok: true; width: number; height: number; faces: FaceBox[]; decodeMs: number; inferenceMs: number }
  | { ok: false; code: 'ERR_FRAME_CORRUPT' | 'ERR_DETECT_FAILED'; message: string }

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'init-failed'; message: string }
  | ({ type: 'result'; id: number; numTensors: number } & DetectOutcome)
