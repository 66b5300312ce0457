/**
 * The edge daemon's management API (api-version 2022-08-03) over its public Unix socket, as the device commands use
 * it. Every failure is one line that names the socket: the daemon is not running, the socket is not ours to open, the
 * daemon said no (its `{"message"}`), or no answer in time.
 */
import { request, type IncomingMessage } from 'node:http'
import { MANAGEMENT_API_VERSION } from '@ledge/protocol'
import { CliError, EXIT_FAILURE } from '../../errors.js'

const DEFAULT_TIMEOUT_MS = 10_000

export type Query = Record<string, string | number | boolean | undefined>

/** The daemon could not be reached at all (as opposed to answering with an error). */
export class DaemonUnreachableError extends CliError {
  constructor(message: string, readonly socketPath: string, cause?: unknown) {
    super(message, EXIT_FAILURE, cause === undefined ? undefined : { cause })
    this.name = 'DaemonUnreachableError'
  }
}

/** The daemon answered with an error status. */
export class DaemonApiError extends CliError {
  constructor(message: string, readonly status: number) {
    super(message, EXIT_FAILURE)
    this.name = 'DaemonApiError'
  }
}

export function cancelled(): CliError {
  return new CliError('cancelled', 130)
}

export const seg = encodeURIComponent

export class ManagementClient {
  constructor(
    readonly socketPath: string,
    private readonly o: { signal?: AbortSignal; timeoutMs?: number } = {},
  ) {}

  get uri(): string {
    return `unix://${this.socketPath}`
  }

  /** A JSON reply (undefined for 204). */
  async json<T>(method: string, path: string, query: Query = {}): Promise<T> {
    const res = await this.open(method, path, query)
    const text = await readBody(res).catch((err: NodeJS.ErrnoException) => {
      throw this.unreachable(err, this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    })
    if (text === '') return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new DaemonApiError(`the edge daemon at ${this.uri} sent a reply that is not JSON: ${text.slice(0, 100)}`, res.statusCode ?? 0)
    }
  }

  /**
   * Sends the request and resolves with the response once a 2xx status arrives (the body unread, for streams). An
   * error status rejects with the daemon's message. `timeoutMs` bounds the wait for the status line only when
   * `stream` is set; otherwise it also bounds silence while the body is read.
   */
  open(method: string, path: string, query: Query = {}, o: { stream?: boolean } = {}): Promise<IncomingMessage> {
    const qs = new URLSearchParams({ 'api-version': MANAGEMENT_API_VERSION })
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v))
    const signal = this.o.signal
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled())
      const req = request({ socketPath: this.socketPath, method, path: `${path}?${qs}`, headers: { accept: 'application/json' } })
      const onAbort = (): void => {
        req.destroy()
        reject(cancelled())
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'LEDGE_TIMEOUT' })), timeoutMs)
      req.on('response', (res) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) {
          if (!o.stream) res.setTimeout(timeoutMs, () => res.destroy(Object.assign(new Error('timeout'), { code: 'LEDGE_TIMEOUT' })))
          return resolve(res)
        }
        readBody(res).then((text) => reject(new DaemonApiError(errorMessage(status, text), status)), reject)
      })
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (signal?.aborted) return reject(cancelled())
        reject(this.unreachable(err, timeoutMs))
      })
      req.end()
    })
  }

  private unreachable(err: NodeJS.ErrnoException, timeoutMs: number): CliError {
    const where = `the edge daemon's management socket ${this.uri}`
    switch (err.code) {
      case 'ENOENT':
        return new DaemonUnreachableError(`${where} does not exist: is the edge daemon running? (start it with: ledge edge start)`, this.socketPath, err)
      case 'ECONNREFUSED':
        return new DaemonUnreachableError(`nothing answers on ${where}: the edge daemon is not running (start it with: ledge edge start)`, this.socketPath, err)
      case 'EACCES':
      case 'EPERM':
        return new DaemonUnreachableError(`permission denied on ${where}: run as root or as a member of the daemon's group`, this.socketPath, err)
      case 'ENOTSOCK':
        return new DaemonUnreachableError(`${where} is not a socket`, this.socketPath, err)
      case 'LEDGE_TIMEOUT':
        return new DaemonUnreachableError(`${where} did not answer within ${timeoutMs / 1000} s`, this.socketPath, err)
      default:
        return new DaemonUnreachableError(`cannot reach ${where}: ${err.message}`, this.socketPath, err)
    }
  }
}

function errorMessage(status: number, text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message
    if (typeof m === 'string' && m) return m
  } catch {
    /* not JSON */
  }
  return `the edge daemon answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`
}

export function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
  })
}
