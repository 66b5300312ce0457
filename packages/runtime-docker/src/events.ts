/**
 * The engine's event stream (`GET /events`), filtered to this runtime's containers, as ModuleEvents: `start` →
 * running, `die` → stopped/failed with the exit code, `health_status: …` → running (health changed). One source for
 * every event keeps them in the engine's order. If the stream breaks (an engine restart) it is opened again from the
 * time of the last event seen, so that nothing is missed.
 */
import type Docker from 'dockerode'
import type { Logger } from '@ledge/common'
import type { ModuleEvent } from '@ledge/module-runtime'
import { LABELS } from './settings.js'

interface EngineEvent {
  Type?: string
  Action?: string
  id?: string
  timeNano?: number
  Actor?: { ID?: string; Attributes?: Record<string, string> }
}

/** How long a stop request explains a `die` that follows it (a lost event must not mark a later crash as stopped). */
const STOP_EXPECTATION_MS = 5 * 60_000
const RETRY_MS = [250, 1000, 5000]

export class DockerEvents {
  private stream: NodeJS.ReadableStream | undefined
  private lastNano: number | undefined
  private readonly stops = new Map<string, number[]>()
  private stopped = false
  private retry = 0

  constructor(private readonly o: { docker: Docker; label: string; log: Logger; signal: AbortSignal; onEvent: (e: ModuleEvent) => void }) {}

  /** Resolves once the stream is open: events of what happens after are heard. */
  async start(): Promise<void> {
    const opts: Record<string, unknown> = { filters: { type: ['container'], label: [this.o.label] }, abortSignal: this.o.signal }
    // Replays from the second of the last event seen; handle() skips what was already heard.
    if (this.lastNano !== undefined) opts.since = Math.floor(this.lastNano / 1e9)
    const stream = await this.o.docker.getEvents(opts as Docker.GetEventsOptions)
    this.stream = stream
    this.retry = 0
    let pending = ''
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8')
      let nl: number
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim()
        pending = pending.slice(nl + 1)
        if (line) this.handle(line)
      }
    })
    const ended = () => {
      if (this.stream !== stream) return
      this.stream = undefined
      if (!this.stopped && !this.o.signal.aborted) this.reconnect()
    }
    stream.on('end', ended)
    stream.on('close', ended)
    stream.on('error', ended)
  }

  /** A stop was requested for container `id`: its next `die` is `stopped` whatever the exit code. */
  expectStop(id: string): void {
    const now = Date.now()
    this.stops.set(id, [...(this.stops.get(id) ?? []).filter((t) => now - t < STOP_EXPECTATION_MS), now])
  }

  async stop(): Promise<void> {
    this.stopped = true
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined
    this.stream = undefined
    s?.destroy?.()
  }

  private reconnect(): void {
    const delay = RETRY_MS[Math.min(this.retry++, RETRY_MS.length - 1)]!
    this.o.log.warn({ event: 'events.reconnecting', delayMs: delay }, 'the engine event stream ended: reopening it')
    setTimeout(() => {
      if (this.stopped || this.o.signal.aborted) return
      this.start().catch(() => this.reconnect())
    }, delay).unref()
  }

  private handle(line: string): void {
    let e: EngineEvent
    try {
      e = JSON.parse(line) as EngineEvent
    } catch {
      return
    }
    if (typeof e.timeNano === 'number') {
      if (this.lastNano !== undefined && e.timeNano <= this.lastNano) return
      this.lastNano = e.timeNano
    }
    const attrs = e.Actor?.Attributes ?? {}
    const name = attrs[LABELS.module]
    const id = e.Actor?.ID ?? e.id
    const action = e.Action ?? ''
    if (!name || !id) return
    if (action === 'start') this.o.onEvent({ name, status: 'running' })
    else if (action === 'die') {
      const exitCode = Number(attrs.exitCode ?? NaN)
      const expected = this.stops.get(id)?.filter((t) => Date.now() - t < STOP_EXPECTATION_MS) ?? []
      const onRequest = expected.length > 0
      if (onRequest) expected.shift()
      if (expected.length > 0) this.stops.set(id, expected)
      else this.stops.delete(id)
      const status = onRequest || exitCode === 0 ? 'stopped' : 'failed'
      this.o.onEvent({ name, status, ...(Number.isFinite(exitCode) ? { exitCode } : {}) })
    } else if (action.startsWith('health_status')) this.o.onEvent({ name, status: 'running' })
  }
}
