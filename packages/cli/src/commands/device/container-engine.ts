/**
 * `ledge check`'s container engine check (iotedge's "container engine is installed and functional"): when the config
 * turns the Docker runtime on (`[moby_runtime]`, or a docker agent), the engine at `[moby_runtime] uri` must answer
 * `GET /version`. Plain HTTP over the Unix socket (or tcp://): the CLI does not need the Docker client library.
 */
import { request } from 'node:http'

export interface EngineVersion {
  Version: string
  ApiVersion: string
  Os?: string
  Arch?: string
}

/** Asks the engine at `uri` (`unix:///…`, `/…`, `tcp://host:port`) for its version; rejects with why it cannot. */
export function dockerVersion(uri: string, timeoutMs = 5_000): Promise<EngineVersion> {
  const target = uri.startsWith('unix://') ? { socketPath: uri.slice('unix://'.length) }
    : uri.startsWith('/') ? { socketPath: uri }
    : (() => {
      const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(uri)
      if (!m) throw new Error(`[moby_runtime] uri '${uri}' is not unix:///path or tcp://host:port`)
      return { host: m[1]!, port: Number(m[2] ?? 2375) }
    })()
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path: '/version', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`the engine answered ${res.statusCode}: ${body.trim()}`))
        try {
          resolve(JSON.parse(body) as EngineVersion)
        } catch {
          reject(new Error(`the engine's /version is not JSON: ${body.slice(0, 100)}`))
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

export type EngineCheck = { result: 'ok' | 'error'; details: string[] }

/** The check's outcome for the config's `moby` section. */
export async function containerEngineOutcome(moby: { uri: string; enabled: boolean }): Promise<EngineCheck> {
  if (!moby.enabled) return { result: 'ok', details: ['not used: the config has no [moby_runtime] table, so modules run as processes'] }
  try {
    const v = await dockerVersion(moby.uri)
    return { result: 'ok', details: [`${moby.uri}: Docker engine ${v.Version} (API ${v.ApiVersion}${v.Os ? `, ${v.Os}/${v.Arch}` : ''})`] }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'the socket does not exist: is dockerd running?'
      : e.code === 'EACCES' ? 'permission denied: run ledge check as root or as a member of the docker group'
      : e.code === 'ECONNREFUSED' ? 'connection refused: is dockerd running?'
      : e.message
    return { result: 'error', details: [`${moby.uri}: the Docker engine is not reachable: ${why}`] }
  }
}
