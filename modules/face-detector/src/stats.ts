/**
 * The detector's counters, reported in the module twin (`reported.stats`) every report interval:
 *
 * | field | meaning |
 * |---|---|
 * | framesReceived, bytesIn | frames (JPEG bytes) that arrived on input `frames` |
 * | framesAnalysed, facesFound | frames the model ran on, and the faces it kept |
 * | framesForwarded, bytesOut | frames sent on output `frames`; bytes of all messages sent (detections + frames) |
 * | bytesSaved, savedPercent | bytesIn − bytesOut: what the edge kept from the cloud |
 * | framesCorrupt | frames that did not decode (skipped; see lastCorrupt) |
 * | framesDropped | frames dropped because the queue was full (the workers were behind) |
 * | framesFailed | frames whose detection or send failed otherwise |
 * | fps, avgInferenceMs | analysed frames per second and mean inference time over the last interval |
 * | workers, queue | the pool's size and frames waiting now |
 */
export interface DetectorCounters {
  framesReceived: number
  bytesIn: number
  framesAnalysed: number
  facesFound: number
  framesForwarded: number
  bytesOut: number
  framesCorrupt: number
  framesDropped: number
  framesFailed: number
}

export function newCounters(): DetectorCounters {
  return { framesReceived: 0, bytesIn: 0, framesAnalysed: 0, facesFound: 0, framesForwarded: 0, bytesOut: 0, framesCorrupt: 0, framesDropped: 0, framesFailed: 0 }
}

/** Rates over an interval: keeps the counters' values and summed inference time at the last report. */
export class IntervalMeter {
  private last = { at: 0, analysed: 0, inferenceMs: 0 }
  private inferenceMsTotal = 0

  constructor(now: number) {
    this.last.at = now
  }

  addInference(ms: number): void {
    this.inferenceMsTotal += ms
  }

  /** fps and mean inference time since the previous call. */
  take(c: DetectorCounters, now: number): { fps: number; avgInferenceMs: number } {
    const frames = c.framesAnalysed - this.last.analysed
    const ms = this.inferenceMsTotal - this.last.inferenceMs
    const fps = (frames * 1000) / Math.max(1, now - this.last.at)
    this.last = { at: now, analysed: c.framesAnalysed, inferenceMs: this.inferenceMsTotal }
    return { fps: Math.round(fps * 100) / 100, avgInferenceMs: frames ? Math.round((ms / frames) * 10) / 10 : 0 }
  }
}

export function savings(c: DetectorCounters): { bytesSaved: number; savedPercent: number } {
  const bytesSaved = c.bytesIn - c.bytesOut
  return { bytesSaved, savedPercent: c.bytesIn ? Math.round((bytesSaved / c.bytesIn) * 1000) / 10 : 0 }
}
