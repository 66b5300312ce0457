/**
 * Server-sent events read with fetch(): EventSource cannot send the Authorization header the hub's `/events` needs,
 * so the stream is read from a ReadableStream and parsed here (the WHATWG event-stream format: `id:`, `event:`,
 * `data:` lines, a blank line ends an event, `:` starts a comment).
 */

export interface SseEvent {
  id: string | undefined
  event: string
  data: string
}

/** Incremental parser: feed it text as it arrives, it returns the events completed so far. */
export class SseParser {
  private buffer = ''
  private data: string[] = []
  private event = ''
  private id: string | undefined
  /** The last event id seen (what a reconnect sends as Last-Event-ID). */
  lastEventId: string | undefined

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk
    const out: SseEvent[] = []
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer)
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) break
      const line = this.buffer.slice(0, m.index)
      this.buffer = this.buffer.slice(m.index + m[0].length)
      const ev = this.line(line)
      if (ev) out.push(ev)
    }
    return out
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.id !== undefined) this.lastEventId = this.id
      const ev = this.data.length ? { id: this.id, event: this.event || 'message', data: this.data.join('\n') } : undefined
      this.data = []
      this.event = ''
      return ev
    }
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') this.data.push(value)
    else if (field === 'event') this.event = value
    else if (field === 'id' && !value.includes('\0')) this.id = value
    return undefined
  }
}

export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'retrying'; error: string; inMs: number }
  | { kind: 'failed'; error: string; unauthorized: boolean }
  | { kind: 'closed' }

export interface StreamOptions {
  /** The full URL (query included) to GET. */
  url: () => string
  authorization: () => Promise<string>
  /** Resume after this id (sent as Last-Event-ID). */
  lastEventId?: string
  signal: AbortSignal
  onEvent: (e: SseEvent) => void
  onState: (s: StreamState) => void
  fetch?: typeof fetch
}

const MAX_BACKOFF_MS = 15_000

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}

/**
 * Follows an event stream until `signal` aborts, reconnecting with back-off and Last-Event-ID so that nothing is missed
 * or repeated. A 401/403 stops it (`failed`, unauthorized): a new login is needed.
 */
export async function followEventStream(o: StreamOptions): Promise<void> {
  const doFetch = o.fetch ?? fetch
  let lastId = o.lastEventId
  let backoff = 1000
  while (!o.signal.aborted) {
    o.onState({ kind: 'connecting' })
    let error: string
    try {
      const headers: Record<string, string> = { authorization: await o.authorization(), accept: 'text/event-stream' }
      if (lastId !== undefined) headers['last-event-id'] = lastId
      const res = await doFetch(o.url(), { headers, signal: o.signal })
      if (res.status === 401 || res.status === 403) {
        const text = await res.text()
        let message = text
        try {
          message = String((JSON.parse(text) as { Message?: string }).Message ?? text).replace(/^ErrorCode:[^;]*;/, '')
        } catch {
          /* not JSON */
        }
        o.onState({ kind: 'failed', error: message || `HTTP ${res.status}`, unauthorized: true })
        return
      }
      if (!res.ok || !res.body) {
        error = `the hub answered HTTP ${res.status}`
      } else {
        o.onState({ kind: 'open' })
        backoff = 1000
        const parser = new SseParser()
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          for (const ev of parser.feed(value)) {
            if (ev.id !== undefined) lastId = ev.id
            o.onEvent(ev)
          }
        }
        error = 'the hub closed the stream'
      }
    } catch (err) {
      if (o.signal.aborted) break
      error = (err as Error).message || String(err)
    }
    if (o.signal.aborted) break
    o.onState({ kind: 'retrying', error, inMs: backoff })
    await sleep(backoff, o.signal)
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
  }
  o.onState({ kind: 'closed' })
}
