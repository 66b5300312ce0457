/** A forwarded camera frame with its detected faces boxed (SVG over the image, in the frame's own pixels). */
import { useState } from 'preact/hooks'
import type { Detection, Frame } from '../model/crowd.js'

export function FrameView(props: { frame: Frame; detection: Detection | undefined }) {
  const { frame, detection } = props
  const [size, setSize] = useState<{ w: number; h: number } | undefined>(undefined)
  const w = size?.w ?? detection?.frameWidth ?? 640
  const h = size?.h ?? detection?.frameHeight ?? 480
  const scale = detection?.normalised ? { x: w, y: h } : { x: 1, y: 1 }
  const boxes = detection?.boxes ?? []
  const faces = detection?.faceCount ?? frame.faceCount
  const when = new Date(frame.time).toLocaleTimeString()
  const label = `Frame ${frame.frameId ?? frame.offset}${frame.cameraId ? ` from ${frame.cameraId}` : ''} at ${when}: ${faces === undefined ? 'no detections for this frame' : `${faces} face${faces === 1 ? '' : 's'}`}`
  return (
    <figure class="frame" data-testid="frame">
      <div class="frame-box">
        <img
          src={`data:${frame.contentType};base64,${frame.base64}`}
          alt={label}
          onLoad={(e) => {
            const img = e.currentTarget as HTMLImageElement
            setSize({ w: img.naturalWidth, h: img.naturalHeight })
          }}
        />
        <svg viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" aria-hidden="true">
          {boxes.map((b, i) => (
            <g key={i} class="face-box" data-testid="face-box">
              <rect x={b.x * scale.x} y={b.y * scale.y} width={b.width * scale.x} height={b.height * scale.y} />
              {b.score !== undefined && <text x={b.x * scale.x + 4} y={Math.max(14, b.y * scale.y - 4)}>{Math.round(b.score * 100)}%</text>}
            </g>
          ))}
        </svg>
      </div>
      <figcaption>
        <strong>{faces === undefined ? '?' : faces}</strong> {faces === 1 ? 'face' : 'faces'} · {frame.cameraId ?? 'camera'} · frame {frame.frameId ?? `#${frame.offset}`} · {when}
      </figcaption>
    </figure>
  )
}
