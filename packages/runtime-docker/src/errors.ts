/**
 * Docker Engine API failures, as the port's errors: the engine not answering is ERR_RUNTIME_UNAVAILABLE; what the
 * engine refuses keeps Docker's own message (it names the bad value) under a stable code.
 */
import { AppError, isAppError } from '@ledge/common'
import { moduleErrors } from '@ledge/module-runtime'

/** What dockerode / docker-modem errors carry. */
export interface DockerError extends Error {
  statusCode?: number
  code?: string
  json?: { message?: string } | string | null
  reason?: string
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ENOTSOCK'])

export function statusOf(err: unknown): number | undefined {
  return (err as DockerError | undefined)?.statusCode
}

/** The engine's message (`{"message": …}`), without docker-modem's "(HTTP code 400) unexpected - " prefix. */
export function engineMessage(err: unknown): string {
  const e = err as DockerError
  const json = e?.json
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message
  if (typeof json === 'string' && json.trim() !== '') {
    try {
      const parsed = JSON.parse(json) as { message?: unknown }
      if (typeof parsed.message === 'string') return parsed.message
    } catch {
      return json.trim()
    }
  }
  return String(e?.message ?? err).replace(/^\(HTTP code \d+\) [a-z ]+ - /, '')
}

export function isConnectionError(err: unknown): boolean {
  const e = err as DockerError
  return e?.statusCode === undefined && typeof e?.code === 'string' && CONNECTION_CODES.has(e.code)
}

/** Maps an error of a call about module `name` (ERR_MODULE_NOT_FOUND on 404 unless `notFound` is false). */
export function toAppError(err: unknown, what: string, uri: string, name?: string): AppError {
  if (isAppError(err)) return err
  if (isConnectionError(err)) return dockerErrors.unreachable(uri, err)
  const status = statusOf(err)
  if (status === 404 && name !== undefined) return moduleErrors.notFound(name)
  return new AppError('ERR_DOCKER_REQUEST_FAILED', status === 409 ? 'conflict' : status === 400 ? 'invalid' : 'internal',
    `${what}: the Docker engine answered ${status ?? 'with an error'}: ${engineMessage(err)}`, { cause: err })
}

export const dockerErrors = {
  unreachable: (uri: string, cause?: unknown) =>
    moduleErrors.unavailable(`the Docker engine at ${uri} is not reachable${cause ? `: ${(cause as Error).message}` : ''} (is dockerd running, and may this user use its socket?)`, { cause }),
  closed: () => moduleErrors.unavailable('the docker runtime is closed'),
  pullFailed: (name: string, image: string, why: string, cause?: unknown) =>
    new AppError('ERR_IMAGE_PULL_FAILED', 'unavailable', `module '${name}': settings.image '${image}' could not be pulled, and it is not present locally: ${why}`, { cause }),
  foreignContainer: (name: string, container: string) =>
    new AppError('ERR_MODULE_EXISTS', 'conflict', `module '${name}' cannot be created: a container named '${container}' exists that this runtime did not create`),
}
