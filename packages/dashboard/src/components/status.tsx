/** Badges, empty and error states, times and sizes: the small pieces every page uses. */
import type { ComponentChildren } from 'preact'
import { HubError } from '../api/client.js'
import { LoginError } from '../api/sas.js'
import { FilterError } from '../api/query.js'
import { useApp } from '../hooks.js'

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral' | 'info'

export function Badge(props: { tone: Tone; children: ComponentChildren; title?: string }) {
  return <span class={`badge badge-${props.tone}`} title={props.title}>{props.children}</span>
}

export function ConnectionBadge(props: { state: string | undefined }) {
  const connected = props.state === 'Connected'
  return <Badge tone={connected ? 'ok' : 'neutral'}>{connected ? 'Connected' : props.state ?? 'Unknown'}</Badge>
}

/** A module's runtime status as the edge agent reports it. */
export function RuntimeBadge(props: { status: string }) {
  const s = props.status
  const tone: Tone = s === 'running' ? 'ok' : s === 'backoff' || s === 'unhealthy' ? 'warn' : s === 'failed' || s === 'dead' ? 'bad' : 'neutral'
  return <Badge tone={tone}>{s}</Badge>
}

export function Loading(props: { what: string }) {
  return <p class="muted" role="status" aria-live="polite">Loading {props.what}…</p>
}

export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty" role="status">
      <h3>{props.title}</h3>
      {props.children}
    </div>
  )
}

/** What went wrong and what to do: log in again, start the hub, fix the input, or retry. */
export function errorAdvice(err: unknown): { title: string; detail: string; relogin: boolean } {
  if (err instanceof LoginError) return { title: 'Login needed', detail: err.message, relogin: true }
  if (err instanceof FilterError) return { title: 'Check the filter', detail: err.message, relogin: false }
  if (err instanceof HubError) {
    if (err.unauthorized) {
      return { title: err.status === 403 ? 'Not allowed' : 'Not logged in', detail: `${err.message}. Log in again with a policy that has the right (iothubowner has them all).`, relogin: true }
    }
    if (err.code === 'NetworkError') return { title: 'The hub does not answer', detail: `${err.message} Start it with \`ledge hub start\`, then retry.`, relogin: false }
    if (err.code === 'DeviceNotFound') return { title: 'No such device', detail: `${err.message}. It may have been deleted; go back to the device list.`, relogin: false }
    return { title: `The hub refused (${err.code})`, detail: err.message, relogin: false }
  }
  return { title: 'Something went wrong', detail: err instanceof Error ? err.message : String(err), relogin: false }
}

export function ErrorState(props: { error: unknown; onRetry?: () => void }) {
  const { logout } = useApp()
  const a = errorAdvice(props.error)
  return (
    <div class="error" role="alert">
      <strong>{a.title}.</strong> <span>{sentence(a.detail)}</span>
      <div class="row">
        {a.relogin && <button type="button" onClick={() => logout(a.detail)}>Log in again</button>}
        {props.onRetry && <button type="button" onClick={props.onRetry}>Retry</button>}
      </div>
    </div>
  )
}

/** Azure's "never" (.NET DateTime.MinValue) and missing times show as a dash. */
export function isNever(iso: string | undefined): boolean {
  return !iso || iso.startsWith('0001-01-01') || Number.isNaN(Date.parse(iso))
}

export function relativeTime(iso: string | undefined, now = Date.now()): string {
  if (isNever(iso)) return 'never'
  const s = Math.round((now - Date.parse(iso!)) / 1000)
  if (s < 5) return 'just now'
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

export function Time(props: { iso: string | undefined }) {
  if (isNever(props.iso)) return <span class="muted">never</span>
  return <time dateTime={props.iso} title={new Date(props.iso!).toLocaleString()}>{relativeTime(props.iso)}</time>
}

/** Starts a message with a capital letter (the API layer's messages read as clauses). */
export function sentence(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

export function JsonBlock(props: { value: unknown; label: string }) {
  return <pre class="json" aria-label={props.label} tabIndex={0}>{JSON.stringify(props.value, null, 2)}</pre>
}
