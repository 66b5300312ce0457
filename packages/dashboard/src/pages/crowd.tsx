/**
 * Crowd analytics for a camera edge device: the last frames the face-detector forwarded, with the faces boxed, people
 * counted over time, and frames analysed on the edge vs frames sent to the cloud (the bandwidth the edge saved).
 * Everything comes from the device's messages on the events stream (history first, then live).
 */
import { useMemo, useRef, useState } from 'preact/hooks'
import type { Twin } from '../api/client.js'
import { CrowdModel } from '../model/crowd.js'
import { LineChart } from '../components/chart.js'
import { FrameView } from '../components/frame-view.js'
import { EmptyState, ErrorState, formatBytes, Loading } from '../components/status.js'
import { useApp, useAsync } from '../hooks.js'
import { href, navigate } from '../router.js'
import { StreamStatus, useEventStream, usePause } from './live.js'
import { HubError } from '../api/client.js'

/**
 * How far back in the stream (offsets, all devices) the view starts. Frames are tens of KB each and cannot be told
 * apart on the hub, so the history is kept short; the chart grows live from there.
 */
const HISTORY = 1000

export function CrowdPage(props: { deviceId?: string | undefined }) {
  const { api } = useApp()
  const cameras = useAsync((signal) => api.query<Twin>('SELECT * FROM devices WHERE capabilities.iotEdge = true', { pageSize: 200, signal }), [])
  const [typed, setTyped] = useState('')

  return (
    <section aria-labelledby="crowd-title">
      <div class="page-head">
        <h1 id="crowd-title" tabIndex={-1}>Crowd analytics{props.deviceId ? ` — ${props.deviceId}` : ''}</h1>
      </div>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); if (typed.trim()) navigate({ page: 'crowd', deviceId: typed.trim() }) }}>
        <label>Camera edge device
          <select value={props.deviceId ?? ''} onChange={(e) => e.currentTarget.value && navigate({ page: 'crowd', deviceId: e.currentTarget.value })}>
            <option value="">choose…</option>
            {props.deviceId && !cameras.data?.items.some((c) => c.deviceId === props.deviceId) && <option value={props.deviceId}>{props.deviceId}</option>}
            {cameras.data?.items.map((c) => <option key={c.deviceId} value={c.deviceId}>{c.deviceId}</option>)}
          </select>
        </label>
        <label>or type its id <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autoComplete="off" /></label>
        <button type="submit">Show</button>
      </form>
      {cameras.error !== undefined && <ErrorState error={cameras.error} onRetry={cameras.reload} />}
      {!props.deviceId && cameras.data && cameras.data.items.length === 0 && (
        <EmptyState title="No camera edge device yet">
          <p>Run the crowd-analytics demo (<code>npm start</code>), or create an edge device and deploy the modules:</p>
          <pre>ledge hub device-identity create --device-id EdgeCam --edge-enabled{'\n'}ledge hub edge set-modules --device-id EdgeCam --content deploy/crowd-analytics.json</pre>
        </EmptyState>
      )}
      {!props.deviceId && cameras.data && cameras.data.items.length > 0 && <p>Choose a camera edge device above.</p>}
      {props.deviceId && <CrowdView key={props.deviceId} deviceId={props.deviceId} />}
    </section>
  )
}

function CrowdView(props: { deviceId: string }) {
  const model = useRef(new CrowdModel())
  const [version, setVersion] = useState(0)
  const [paused, setPaused] = usePause()
  const state = useEventStream({ deviceId: props.deviceId, history: HISTORY }, paused, (batch) => {
    for (const e of batch) model.current.add(e)
    setVersion((v) => v + 1)
  }, props.deviceId)
  const m = model.current
  const series = useMemo(() => m.series(), [version])
  const last = m.detections[m.detections.length - 1]
  const saved = m.analysed > 0 ? Math.max(0, 1 - m.sent / m.analysed) : undefined

  return (
    <>
      <div class="row">
        <span role="status" aria-live="polite"><StreamStatus state={state} paused={paused.now} /></span>
        <button type="button" onClick={() => setPaused(!paused.now)} aria-pressed={paused.now}>{paused.now ? 'Resume' : 'Pause'}</button>
        <a href={href({ page: 'device', deviceId: props.deviceId })}>device</a>
        <a href={href({ page: 'live', deviceId: props.deviceId })}>all its messages</a>
      </div>
      {state.kind === 'failed' && <ErrorState error={new HubError(state.unauthorized ? 401 : 0, state.unauthorized ? 'Unauthorized' : 'NetworkError', state.error)} />}
      <ul class="tiles" aria-label="Summary">
        <li><span class="tile-n" data-testid="people-now">{last?.faceCount ?? '—'}</span><span>people now</span></li>
        <li><span class="tile-n" data-testid="frames-analysed">{m.analysed}</span><span>frames analysed on the edge</span></li>
        <li><span class="tile-n" data-testid="frames-sent">{m.sent}</span><span>frames sent to the cloud</span></li>
        <li><span class="tile-n">{saved === undefined ? '—' : `${Math.round(saved * 100)}%`}</span><span>frames kept at the edge ({formatBytes(m.bytesSent)} sent)</span></li>
      </ul>
      {m.analysed === 0 && m.sent === 0 ? (
        state.kind === 'connecting' ? <Loading what="the camera's messages" /> : (
          <EmptyState title={`Nothing from ${props.deviceId}'s face detector yet`}>
            <p>This view shows the <code>detections</code> and <code>frames</code> outputs of the face-detector module routed to <code>$upstream</code>.
              Check on the <a href={href({ page: 'device', deviceId: props.deviceId })}>device page</a> that the camera and face-detector modules are running, and that the deployment routes them upstream (<code>deploy/crowd-analytics.json</code>).</p>
          </EmptyState>
        )
      ) : (
        <>
          <section aria-labelledby="count-title">
            <h2 id="count-title">People counted over time</h2>
            <LineChart label={`People counted by ${props.deviceId}`} series="people" data={series} />
          </section>
          <section aria-labelledby="frames-title">
            <h2 id="frames-title">Last forwarded frames</h2>
            {m.frames.length === 0 ? (
              <p class="muted">No frame forwarded yet: the face detector sends a frame only when it finds enough faces (its threshold is in its module twin).</p>
            ) : (
              <div class="frames">{m.frames.map((f) => <FrameView key={f.offset} frame={f} detection={m.detectionFor(f)} />)}</div>
            )}
          </section>
        </>
      )}
    </>
  )
}
