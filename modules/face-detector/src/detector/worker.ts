/**
 * A detector worker thread: loads the model once, then decodes and detects one frame at a time. A frame that does not
 * decode is answered with ERR_FRAME_CORRUPT; the worker carries on.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { CorruptFrameError, decodeJpeg } from './decode.js'
import { FaceModel } from './face-model.js'
import type { DetectOutcome, FromWorker, ToWorker, WorkerInit } from './protocol.js'

const port = parentPort!
const post = (m: FromWorker): void => port.postMessage(m)

let model: FaceModel
try {
  model = await FaceModel.load((workerData as WorkerInit).preload)
  post({ type: 'ready', backend: model.backend })
} catch (err) {
  post({ type: 'init-failed', message: (err as Error).message })
  process.exit(1)
}

async function run(msg: ToWorker): Promise<DetectOutcome> {
  const t0 = performance.now()
  let image
  try {
    image = await decodeJpeg(msg.jpeg)
  } catch (err) {
    return { ok: false, code: 'ERR_FRAME_CORRUPT', message: (err as Error).message }
  }
  const t1 = performance.now()
  try {
    const faces = await model.detect(image.data, image.width, image.height, msg.options)
    return { ok: true, width: image.width, height: image.height, faces, decodeMs: t1 - t0, inferenceMs: performance.now() - t1 }
  } catch (err) {
    const code = err instanceof CorruptFrameError ? 'ERR_FRAME_CORRUPT' : 'ERR_DETECT_FAILED'
    return { ok: false, code, message: (err as Error).message }
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type !== 'detect') return
  void run(msg).then((outcome) => post({ type: 'result', id: msg.id, numTensors: model.numTensors, ...outcome }))
})
