/**
 * The connection to the Docker engine, from `[moby_runtime] uri`: `unix:///var/run/docker.sock` (the default),
 * an absolute socket path, or `tcp://host:port` / `http://host:port` (plain HTTP: a TLS engine is not supported).
 */
import Docker from 'dockerode'
import { AppError } from '@ledge/common'

export const DEFAULT_DOCKER_URI = 'unix:///var/run/docker.sock'

export function connect(uri: string = DEFAULT_DOCKER_URI): Docker {
  if (uri.startsWith('unix://')) return new Docker({ socketPath: uri.slice('unix://'.length) })
  if (uri.startsWith('/')) return new Docker({ socketPath: uri })
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(uri)
  if (m) return new Docker({ protocol: 'http', host: m[1]!, port: Number(m[2] ?? 2375) })
  throw new AppError('ERR_RUNTIME_OPTIONS_INVALID', 'invalid', `moby_runtime.uri '${uri}' is not unix:///path, /path or tcp://host:port`)
}

export interface EngineInfo {
  /** The engine's version (`20.10.24+dfsg1`). */
  version: string
  apiVersion: string
  os: string
  arch: string
}

/** The engine's version, or throws (a connection error) when nothing answers. */
export async function engineInfo(docker: Docker): Promise<EngineInfo> {
  const v = await docker.version()
  return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch }
}
