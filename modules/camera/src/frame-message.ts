/** A captured frame as an IoT Hub message: the JPEG as the body, the frame's facts as application properties. */
import type { EncodedFrame } from './sources/frame-source.js'

export const FRAME_CONTENT_TYPE = 'image/jpeg'
export const FRAMES_OUTPUT = 'frames'

export interface CapturedFrame extends EncodedFrame {
  cameraId: string
  frameId: number
  captureTime: Date
}

/** The application properties of a frame message (strings, as IoT Hub carries them). Pure. */
export function frameProperties(f: CapturedFrame): Record<string, string> {
  return {
    cameraId: f.cameraId,
    frameId: String(f.frameId),
    captureTime: f.captureTime.toISOString(),
    width: String(f.width),
    height: String(f.height),
    contentType: FRAME_CONTENT_TYPE,
  }
}

/** The SDK's Message, built for a frame. `MessageCtor` is azure-iot-device's `Message`. */
export function frameMessage<M extends { properties: { add(k: string, v: string): unknown }; contentType?: string; messageId?: string }>(
  f: CapturedFrame,
  MessageCtor: new (data: Buffer) => M,
): M {
  const m = new MessageCtor(f.jpeg)
  m.contentType = FRAME_CONTENT_TYPE
  m.messageId = `${f.cameraId}-${f.captureTime.getTime()}-${f.frameId}`
  for (const [k, v] of Object.entries(frameProperties(f))) m.properties.add(k, v)
  return m
}
