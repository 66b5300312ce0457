/**
 * What the demo prints while it runs: each detection the hub receives (faces found, inference time, whether the frame
 * was forwarded), and every few seconds a status line from the module twins: modules running, frames analysed,
 * faces found, frames forwarded, and the bytes the edge kept off the link.
 */
import type { HubClient } from './hub-client.js'

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s)
const kib = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`)

export interface LiveCounts {
  detections: number
  framesUpstream: number
}

export class LiveView {
  readonly counts: LiveCounts = { detections: 0, framesUpstream: 0 }
  private next = 0
  private lastStatus = ''

  constructor(private readonly hub: HubClient, private readonly deviceId: string) {}

  /** Starts reading the events stream from its current end. */
  async start(): Promise<void> {
    const page = await this.hub.get('/events/messages?from=latest&limit=1')
    this.next = page.next
  }

  /** Prints what arrived since the last call. */
  async pollEvents(): Promise<void> {
    for (;;) {
      const page = await this.hub.get(`/events/messages?deviceId=${this.deviceId}&from=${this.next}&limit=200`)
      for (const e of page.events) this.print(e)
      if (page.next === this.next || page.events.length < 200) {
        this.next = page.next
        return
      }
      this.next = page.next
    }
  }

  private print(e: any): void {
    const module = e.moduleId ?? e.systemProperties?.connectionModuleId
    const output = e.systemProperties?.outputName
    if (module === 'face-detector' && output === 'detections') {
      this.counts.detections++
      let d: any
      try {
        d = typeof e.body === 'string' ? JSON.parse(e.body) : e.body
      } catch {
        return
      }
      if (d?.error) return void process.stdout.write(`${bold('  hub ◀')} frame ${d.frameId ?? '?'}: ${d.error.code} ${dim(d.error.message ?? '')}\n`)
      const faces = Number(d?.faceCount ?? 0)
      const what = faces > 0 ? `${faces} face${faces > 1 ? 's' : ''} found` : dim('no one')
      process.stdout.write(`${bold('  hub ◀')} ${d?.cameraId ?? 'camera'} frame ${d?.frameId ?? '?'}: ${what} ${dim(`(${d?.model ?? ''} ${Math.round(d?.inferenceMs ?? 0)} ms)`)}\n`)
    } else if (module === 'face-detector' && output === 'frames') {
      this.counts.framesUpstream++
      process.stdout.write(`${bold('  hub ◀')} frame ${e.properties?.frameId ?? '?'} forwarded ${dim(`(${e.properties?.faceCount ?? '?'} faces, JPEG)`)}\n`)
    }
  }

  /** One status line from the module twins, printed when it changed. */
  async printStatus(): Promise<void> {
    const agent = (await this.hub.get(`/twins/${this.deviceId}/modules/${encodeURIComponent('$edgeAgent')}`)).properties.reported
    const modules = { ...(agent.systemModules ?? {}), ...(agent.modules ?? {}) } as Record<string, { runtimeStatus?: string }>
    const running = Object.entries(modules).map(([n, m]) => `${n} ${m.runtimeStatus ?? '?'}`).join(', ') || 'waiting for the agent'
    let stats: any = {}
    try {
      stats = (await this.hub.get(`/twins/${this.deviceId}/modules/face-detector`)).properties.reported.stats ?? {}
    } catch {
      /* the module is not there yet */
    }
    const line = stats.framesAnalysed !== undefined
      ? `${running} | analysed ${stats.framesAnalysed}, faces ${stats.facesFound}, forwarded ${stats.framesForwarded} | upstream ${kib(stats.bytesOut ?? 0)} of ${kib(stats.bytesIn ?? 0)} captured (${Math.round(stats.savedPercent ?? 0)}% kept at the edge)`
      : running
    if (line !== this.lastStatus) process.stdout.write(`${bold('ledge demo')} ${line}\n`)
    this.lastStatus = line
  }
}
