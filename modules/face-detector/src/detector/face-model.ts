/**
 * @vladmandic/face-api on TensorFlow.js's wasm backend, loaded from disk only: the weights from the package's `model`
 * folder, the wasm binaries from `@tensorflow/tfjs-backend-wasm/dist` (never a CDN). The backend runs single-threaded
 * (SIMD), so one worker thread is one core. Every tensor made here is disposed; `numTensors` stays at the weights'.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ModelName } from '../settings.js'
import type { DetectOptions, FaceBox } from './protocol.js'

const require = createRequire(import.meta.url)
type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js')
type Tf = typeof import('@tensorflow/tfjs')

export const MODEL_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model')
export const WASM_DIR = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'

let loaded: { api: FaceApi; tf: Tf } | undefined

/**
 * Loads TensorFlow.js with the wasm backend, once per thread. face-api's node-wasm build requires the same
 * `@tensorflow/tfjs` instance, so the backend set here is the one it runs on.
 */
async function initTf(): Promise<{ api: FaceApi; tf: Tf }> {
  if (loaded) return loaded
  const tf = require('@tensorflow/tfjs') as Tf
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')
  const api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi
  wasm.setWasmPaths(WASM_DIR)
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not start')
  await tf.ready()
  loaded = { api, tf }
  return loaded
}

export class FaceModel {
  private readonly loaded = new Set<ModelName>()

  private constructor(private readonly api: FaceApi, private readonly tf: Tf) {}

  static async load(preload: readonly ModelName[]): Promise<FaceModel> {
    const { api, tf } = await initTf()
    const m = new FaceModel(api, tf)
    for (const name of preload) await m.ensure(name)
    return m
  }

  get backend(): string {
    return this.tf.getBackend()
  }

  get numTensors(): number {
    return this.tf.memory().numTensors
  }

  async ensure(name: ModelName): Promise<void> {
    if (this.loaded.has(name)) return
    const net = name === 'tiny' ? this.api.nets.tinyFaceDetector : this.api.nets.ssdMobilenetv1
    if (!net.isLoaded) await net.loadFromDisk(MODEL_DIR)
    this.loaded.add(name)
  }

  /** Faces in an RGB image (`data` is height×width×3 bytes). */
  async detect(data: Uint8Array, width: number, height: number, o: DetectOptions): Promise<FaceBox[]> {
    await this.ensure(o.model)
    const input = this.tf.tensor3d(data, [height, width, 3], 'int32')
    try {
      const options = o.model === 'tiny'
        ? new this.api.TinyFaceDetectorOptions({ inputSize: o.inputSize, scoreThreshold: o.scoreThreshold })
        : new this.api.SsdMobilenetv1Options({ minConfidence: o.scoreThreshold, maxResults: 100 })
      const found = await this.api.detectAllFaces(input as never, options)
      return found.map((d) => ({ x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height, score: d.score }))
    } finally {
      input.dispose()
    }
  }
}
