/**
 * Live messages: the hub's `/events` stream read with fetch (it needs the Authorization header, which EventSource
 * cannot send), filtered on the hub by device and module. Pausing closes the stream; resuming reconnects with
 * Last-Event-ID, so what arrived meanwhile is shown then, nothing lost.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type { HubEvent } from '../api/client.js'
import { followEventStream, type StreamState } from '../api/sse.js'
import { Badge, EmptyState, ErrorState, formatBytes } from '../components/status.js'
import { useApp } from '../hooks.js'
import { navigate } from '../router.js'
import { HubError } from '../api/client.js'

const KEEP = 200
/** How far back (in stream offsets) the page starts, so it is not empty when opened. */
const HISTORY = 100

function bodySize(e: HubEvent): number {
  if (e.bodyEncoding === 'base64' && typeof e.body === 'string') return Math.floor((e.body.length * 3) / 4)
  return new TextEncoder().encode(typeof e.body === 'string' ? e.body : JSON.stringify(e.body)).length
}

export function StreamStatus(props: { state: StreamState; paused?: boolean }) {
  const s = props.state
  if (props.paused) return <Badge tone="neutral">paused</Badge>
  switch (s.kind) {
    case 'open': return <Badge tone="ok">live</Badge>
    case 'connecting': return <Badge tone="info">connecting…</Badge>
    case 'retrying': return <Badge tone="warn" title={s.error}>reconnecting in {Math.round(s.inMs / 1000)} s ({s.error})</Badge>
    case 'failed': return <Badge tone="bad">{s.error}</Badge>
    case 'closed': return <Badge tone="neutral">closed</Badge>
  }
}

/**
 * Pausing takes effect at once (the ref, set in the click handler: an event that arrives before the stream is closed
 * is dropped without advancing Last-Event-ID, so resuming replays it) and closes the stream (the state, on render).
 */
export interface Paused {
  now: boolean
  ref: { current: boolean }
}

export function usePause(): [Paused, (p: boolean) => void] {
  const [now, setNow] = useState(false)
  const ref = useRef(false)
  return [{ now, ref }, (p: boolean) => { ref.current = p; setNow(p) }]
}

/** Follows the events stream for a filter; returns the state. `onEvents` gets batches (at most every 200 ms). */
export function useEventStream(filter: { deviceId?: string | undefined; moduleId?: string | undefined; history: number }, paused: Paused, onEvents: (batch: HubEvent[]) => void, resetKey: unknown): StreamState {
  const { api } = useApp()
  const [state, setState] = useState<StreamState>({ kind: 'connecting' })
  const lastId = useRef<string | undefined>(undefined)
  const onEventsRef = useRef(onEvents)
  onEventsRef.current = onEvents
  useEffect(() => {
    lastId.current = undefined
  }, [resetKey])
  useEffect(() => {
    if (paused.now) return
    const ac = new AbortController()
    let pending: HubEvent[] = []
    const flush = setInterval(() => {
      if (pending.length) {
        onEventsRef.current(pending)
        pending = []
      }
    }, 200)
    void (async () => {
      let from: string | undefined
      if (lastId.current === undefined) {
        try {
          from = String(Math.max(0, (await api.latestOffset(ac.signal)) - filter.history))
        } catch (err) {
          if (ac.signal.aborted) return
          setState({ kind: 'failed', error: (err as Error).message, unauthorized: err instanceof HubError && err.unauthorized })
          return
        }
      }
      await followEventStream({
        url: () => api.url('/events', { deviceId: filter.deviceId, moduleId: filter.moduleId, from }),
        authorization: () => api.authHeader(),
        ...(lastId.current !== undefined ? { lastEventId: lastId.current } : {}),
        signal: ac.signal,
        onState: (s) => { if (!ac.signal.aborted || s.kind === 'closed') setState(s) },
        onEvent: (ev) => {
          if (paused.ref.current) return
          if (ev.id !== undefined) lastId.current = ev.id
          if (ev.event !== 'message') return
          try {
            pending.push(JSON.parse(ev.data) as HubEvent)
          } catch {
            /* not a message */
          }
        },
      })
    })()
    return () => {
      ac.abort()
      clearInterval(flush)
      if (pending.length) onEventsRef.current(pending)
    }
  }, [filter.deviceId, filter.moduleId, paused.now, resetKey])
  return state
}

export function LivePage(props: { deviceId?: string | undefined; moduleId?: string | undefined }) {
  const [device, setDevice] = useState(props.deviceId ?? '')
  const [module, setModule] = useState(props.moduleId ?? '')
  const [paused, setPaused] = usePause()
  const [messages, setMessages] = useState<HubEvent[]>([])
  const [seen, setSeen] = useState(0)
  const key = `${props.deviceId ?? ''}/${props.moduleId ?? ''}`
  useEffect(() => {
    setDevice(props.deviceId ?? '')
    setModule(props.moduleId ?? '')
    setMessages([])
    setSeen(0)
  }, [key])
  const state = useEventStream({ deviceId: props.deviceId, moduleId: props.moduleId, history: HISTORY }, paused, (batch) => {
    setSeen((n) => n + batch.length)
    setMessages((m) => [...batch.reverse(), ...m].slice(0, KEEP))
  }, key)

  return (
    <section aria-labelledby="live-title">
      <div class="page-head">
        <h1 id="live-title" tabIndex={-1}>Live messages</h1>
        <span role="status" aria-live="polite"><StreamStatus state={state} paused={paused.now} /></span>
      </div>
      <form role="search" class="filters" onSubmit={(e) => { e.preventDefault(); navigate({ page: 'live', ...(device.trim() ? { deviceId: device.trim() } : {}), ...(module.trim() ? { moduleId: module.trim() } : {}) }) }}>
        <label>Device id <input name="deviceId" value={device} onInput={(e) => setDevice(e.currentTarget.value)} placeholder="all devices" autoComplete="off" /></label>
        <label>Module id <input name="moduleId" value={module} onInput={(e) => setModule(e.currentTarget.value)} placeholder="all modules" autoComplete="off" /></label>
        <button type="submit">Apply filter</button>
        <button type="button" onClick={() => setPaused(!paused.now)} aria-pressed={paused.now}>{paused.now ? 'Resume' : 'Pause'}</button>
        <button type="button" onClick={() => setMessages([])}>Clear</button>
      </form>
      <p class="muted">{seen} message{seen === 1 ? '' : 's'} received{messages.length < seen ? `, the latest ${messages.length} shown` : ''}. {paused.now ? 'Paused: resuming shows what arrived meanwhile.' : ''}</p>
      {state.kind === 'failed' && <ErrorState error={new HubError(state.unauthorized ? 401 : 0, state.unauthorized ? 'Unauthorized' : 'NetworkError', state.error)} />}
      {messages.length === 0 && state.kind !== 'failed' && (
        <EmptyState title="No messages yet">
          <p>Waiting for telemetry{props.deviceId ? ` from ${props.deviceId}` : ''}{props.moduleId ? `/${props.moduleId}` : ''}. Devices send with the Azure IoT SDK (<code>client.sendEvent(message)</code>); check a device is connected on the Devices page{props.deviceId || props.moduleId ? ', or clear the filter' : ''}.</p>
        </EmptyState>
      )}
      <ol class="messages" aria-label="Messages, newest first">
        {messages.map((m) => <MessageItem key={m.offset} m={m} />)}
      </ol>
    </section>
  )
}

function MessageItem(props: { m: HubEvent }) {
  const m = props.m
  const sys = Object.entries(m.systemProperties).filter(([, v]) => v !== undefined)
  const app = Object.entries(m.properties)
  const ct = m.systemProperties.contentType
  const isImage = m.bodyEncoding === 'base64' && (ct?.startsWith('image/') ?? false)
  return (
    <li class="message" data-testid="message">
      <div class="message-head">
        <time dateTime={m.enqueuedTimeUtc}>{new Date(m.enqueuedTimeUtc).toLocaleTimeString()}</time>
        <strong>{m.deviceId}{m.moduleId ? `/${m.moduleId}` : ''}</strong>
        {m.systemProperties.outputName && <Badge tone="info">output {m.systemProperties.outputName}</Badge>}
        {ct && <span class="muted">{ct}</span>}
        <span class="muted">{formatBytes(bodySize(m))} · #{m.offset}</span>
      </div>
      {app.length > 0 && (
        <dl class="props" aria-label="application properties">
          {app.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
        </dl>
      )}
      {isImage ? (
        <img class="thumb" src={`data:${ct};base64,${String(m.body)}`} alt={`image from ${m.deviceId}`} />
      ) : m.bodyEncoding === 'base64' ? (
        <p class="muted">binary body ({formatBytes(bodySize(m))})</p>
      ) : (
        <pre class="json small" data-testid="message-body">{m.bodyEncoding === 'json' ? JSON.stringify(m.body, null, 2) : String(m.body)}</pre>
      )}
      <details>
        <summary>System properties</summary>
        <dl class="props">{sys.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}</dl>
      </details>
    </li>
  )
}
