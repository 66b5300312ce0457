/** Helpers for the crowd-analytics end-to-end test: the hub's event stream read incrementally, the daemon's API. */
import { request } from 'node:http'
import { eventually as pollUntil, rest, type TestHub } from '@ledge/testkit'

export interface SeenEvent {
  offset: number
  deviceId: string
  moduleId?: string
  systemProperties: Record<string, string>
  properties: Record<string, string>
  /** JSON bodies as parsed; binary bodies are not kept (see `jpeg`). */
  body?: any
  bodyEncoding: string
  /** A base64 body that starts with a JPEG's SOI marker. */
  jpeg: boolean
  bytes: number
}

const JPEG_SOI_BASE64 = '/9j/'

/** Reads the hub's retained events from where the last read stopped; keeps frames' metadata, not their bytes. */
export class HubEventLog {
  readonly all: SeenEvent[] = []
  private next = 0

  constructor(private readonly th: TestHub) {}

  async poll(): Promise<void> {
    for (;;) {
      const r = await rest(this.th, 'GET', `/events/messages?from=${this.next}&limit=50`)
      if (r.status !== 200) throw new Error(`GET /events/messages: ${r.status} ${JSON.stringify(r.body)}`)
      const page = r.body.events as any[]
      for (const e of page) {
        const binary = e.bodyEncoding === 'base64'
        this.all.push({
          offset: e.offset, deviceId: e.deviceId, moduleId: e.moduleId ?? undefined, systemProperties: e.systemProperties ?? {},
          properties: e.properties ?? {}, bodyEncoding: e.bodyEncoding, jpeg: binary && String(e.body).startsWith(JPEG_SOI_BASE64),
          bytes: binary ? Buffer.byteLength(e.body, 'base64') : Buffer.byteLength(JSON.stringify(e.body)),
          ...(binary ? {} : { body: e.body }),
        })
      }
      this.next = r.body.next
      if (page.length < 50) return
    }
  }

  /** The offset the next event will have (events before it have been read). */
  get mark(): number {
    return this.next
  }

  of(deviceId: string, moduleId?: string, since = 0): SeenEvent[] {
    return this.all.filter((e) => e.deviceId === deviceId && e.moduleId === moduleId && e.offset >= since)
  }
}

/** One GET from the daemon's management API on its Unix socket: the JSON answer, or the text with `text`. */
export function management(socketPath: string, path: string, text = false): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'GET', path: `${path}${path.includes('?') ? '&' : '?'}api-version=2022-08-03` }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        if ((res.statusCode ?? 0) >= 400) reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))
        else resolve(text || !body ? body : JSON.parse(body))
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** testkit's `eventually`, polling every 500 ms: each poll here reads the hub's events or a whole device's state. */
export function eventually<T>(poll: () => Promise<T | undefined>, ms: number, what: string, intervalMs = 500): Promise<T> {
  return pollUntil(poll, ms, what, intervalMs)
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The pids of the children of `parentPid` (Linux /proc) with their command lines. */
async function children(parentPid: number): Promise<{ pid: number; cmdline: string }[]> {
  const { readdir, readFile } = await import('node:fs/promises')
  const out: { pid: number; cmdline: string }[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8')
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === parentPid) out.push({ pid: Number(name), cmdline: (await readFile(`/proc/${name}/cmdline`, 'utf8')).replaceAll('\0', ' ') })
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out
}

export async function childPids(parentPid: number): Promise<number[]> {
  return (await children(parentPid)).map((c) => c.pid)
}

/** The pid of the child of `parentPid` whose command line contains `needle`, if any. */
export async function childPid(parentPid: number, needle: string): Promise<number | undefined> {
  return (await children(parentPid)).find((c) => c.cmdline.includes(needle))?.pid
}
