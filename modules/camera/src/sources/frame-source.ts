/**
 * The port every frame source implements. A source yields JPEG frames already at the configured size and quality;
 * the capture loop paces the reads.
 */
export interface EncodedFrame {
  jpeg: Buffer
  width: number
  height: number
  /** When the source produced the frame (ffmpeg: when it came out of the pipe); the read time when absent. */
  capturedAt?: Date
}

export type SourceKind = 'folder' | 'ffmpeg'

export interface FrameSource {
  readonly kind: SourceKind
  /** A human-readable description for logs and reported properties. */
  readonly description: string
  /**
   * The next frame. Waits for one; rejects with {@link SourceError} when the source cannot produce frames (then the
   * caller closes it and opens a new one after a back-off), or with an AbortError when `signal` aborts.
   */
  read(signal: AbortSignal): Promise<EncodedFrame>
  close(): Promise<void>
}

/** What a frame source needs from the settings. */
export interface SourceOptions {
  source: string
  fps: number
  width: number
  height: number
  jpegQuality: number
}

export class SourceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SourceError'
  }
}
