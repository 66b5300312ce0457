/**
 * The detector application with its real workers and model, fed frames as the module's input handler does, with an
 * in-memory twin (desired patches in, reported patches recorded) and a recording output: outputs in arrival order,
 * frames forwarded only at the threshold, twin changes live, bad settings refused and reported, a corrupt frame
 * reported and skipped, faces blurred, counters reported.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { silentLogger } from '@ledge/common'
import { applyDesiredPatch, type JsonObject } from '../src/desired-state.js'
import { FaceDetectorApp, type OutMessage } from '../src/detector-app.js'
import type { TwinLike } from '../src/twin-like.js'
import { loadSamples, SAMPLES_DIR } from './samples.js'

class MemoryTwin extends EventEmitter implements TwinLike {
  properties = {
    desired: {} as Record<string, unknown>,
    reported: { update: (patch: unknown, done: (err?: Error) => void) => { this.reported = applyDesiredPatch(this.reported, patch); done() } },
  }
  reported: Record<string, any> = {}
  patch(p: Record<string, unknown>): void {
    this.properties.desired = applyDesiredPatch(this.properties.desired as JsonObject, p)
    this.emit('properties.desired', p)
  }
}

test('detector app: order, threshold, live settings, refused settings, corrupt frames, blur and counters', { timeout: 180_000 }, async () => {
  const samples = await loadSamples()
  const faces = samples.filter((s) => s.faces > 0)
  const empty = samples.filter((s) => s.faces === 0)
  const twin = new MemoryTwin()
  twin.properties.desired = { workers: 2, forwardThreshold: 1, $version: 1 }
  const sent: { output: string; m: OutMessage }[] = []
  const app = await FaceDetectorApp.start({
    endpoint: { getTwin: async () => twin, send: async (output, m) => void sent.push({ output, m }) },
    log: silentLogger(),
    reportIntervalMs: 60_000,
  })
  try {
    const frame = (jpeg: Buffer, i: number) => ({ body: jpeg, properties: { cameraId: 'cam', frameId: String(i), captureTime: new Date().toISOString(), contentType: 'image/jpeg' } })
    const detections = () => sent.filter((s) => s.output === 'detections').map((s) => JSON.parse(s.m.body.toString()))
    const forwarded = () => sent.filter((s) => s.output === 'frames')

    // 1. Frames with and without faces, interleaved: one detections message each, in order; frames with faces forwarded.
    const batch = [faces[0]!, empty[0]!, faces[1]!, empty[1]!, faces[2]!, empty[2]!, faces[3]!, empty[3]!]
    batch.forEach((s, i) => app.handleFrame(frame(s.jpeg, i)))
    await app.idle()
    assert.deepEqual(detections().map((d) => d.frameId), batch.map((_, i) => String(i)), 'outputs in arrival order')
    assert.deepEqual(detections().map((d) => d.faceCount > 0), batch.map((s) => s.faces > 0))
    assert.deepEqual(forwarded().map((f) => f.m.properties.frameId), ['0', '2', '4', '6'])
    const f0 = forwarded()[0]!.m
    assert.equal(f0.contentType, 'image/jpeg')
    assert.equal(f0.properties.faceCount, String(detections()[0].faceCount))
    assert.ok(f0.body.equals(faces[0]!.jpeg), 'forwarded as received when blur is off')
    assert.equal(new Set(app.jobsByWorker.keys()).size, 2, 'two workers served')

    // 2. Live: forward only frames with at least 4 faces, blurred.
    twin.patch({ forwardThreshold: 4, blur: true, $version: 2 })
    assert.equal(app.settings.forwardThreshold, 4)
    sent.length = 0
    faces.forEach((s, i) => app.handleFrame(frame(s.jpeg, 100 + i)))
    await app.idle()
    const counts = detections().map((d) => d.faceCount as number)
    assert.deepEqual(forwarded().map((f) => f.m.properties.frameId), counts.flatMap((n, i) => (n >= 4 ? [String(100 + i)] : [])))
    assert.ok(forwarded().length >= 2)
    for (const f of forwarded()) {
      assert.equal(f.m.properties.blurred, 'true')
      assert.ok(!f.m.body.equals(faces[Number(f.m.properties.frameId) - 100]!.jpeg), 'blurred frames differ from the input')
    }

    // 3. A bad document is refused: reported, previous settings kept.
    twin.patch({ forwardThreshold: -2, model: 'yolo' })
    await new Promise((r) => setImmediate(r))
    assert.match(twin.reported.settingsError, /forwardThreshold/)
    assert.match(twin.reported.settingsError, /model/)
    assert.equal(twin.reported.settings.forwardThreshold, 4)
    assert.equal(app.settings.model, 'tiny')
    twin.patch({ forwardThreshold: 1, model: null })
    await new Promise((r) => setImmediate(r))
    assert.equal(twin.reported.settingsError, undefined)
    assert.equal(app.settings.forwardThreshold, 1)

    // 4. A corrupt frame: a detections error, counted, skipped; the next frame is analysed.
    sent.length = 0
    app.handleFrame(frame(readFileSync(join(SAMPLES_DIR, 'corrupt', 'truncated.jpg')), 200))
    app.handleFrame(frame(faces[2]!.jpeg, 201))
    await app.idle()
    const [bad, good] = detections()
    assert.equal(bad.frameId, '200')
    assert.equal(bad.error.code, 'ERR_FRAME_CORRUPT')
    assert.equal(bad.faceCount, undefined)
    assert.equal(good.frameId, '201')
    assert.equal(good.faceCount, 3)

    // 5. Counters, as reported in the twin.
    await app.reportStats()
    const stats = twin.reported.stats
    const received = batch.length + faces.length + 2
    assert.equal(stats.framesReceived, received)
    assert.equal(stats.framesAnalysed, received - 1)
    assert.equal(stats.framesCorrupt, 1)
    assert.equal(stats.lastCorrupt.frameId, '200')
    assert.ok(stats.bytesIn > stats.bytesOut && stats.bytesSaved === stats.bytesIn - stats.bytesOut)
    assert.equal(stats.workers, 2)
    assert.equal(twin.reported.settings.model, 'tiny')

    // 6. Fewer workers, live.
    twin.patch({ workers: 1 })
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(app.statsReport().workers, 1)
  } finally {
    await app.close()
  }
})
