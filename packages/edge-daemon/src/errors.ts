/**
 * The daemon's errors: `AppError`s with stable codes; the kind picks the HTTP status of the edge APIs
 * (`{"message": …}` bodies). Invalid configuration is its own type, {@link ConfigError}, carrying every problem.
 */
import { AppError, type ErrorKind } from '@ledge/common'

const make = (code: string, kind: ErrorKind, message: string, cause?: unknown): AppError =>
  new AppError(code, kind, message, cause !== undefined ? { cause } : undefined)

export const errors = {
  apiVersion: (v: string | undefined, supported: readonly string[]) =>
    make('ERR_EDGE_API_VERSION', 'invalid', v === undefined
      ? `the api-version query parameter is required (supported: ${supported.join(', ')})`
      : `api-version '${v}' is not supported (supported: ${supported.join(', ')})`),
  badRequest: (what: string) => make('ERR_EDGE_BAD_REQUEST', 'invalid', what),
  notFound: (what: string) => make('ERR_EDGE_NOT_FOUND', 'not_found', what),
  forbidden: (why: string) => make('ERR_EDGE_FORBIDDEN', 'forbidden', why),
  moduleNotFound: (name: string) => make('ERR_MODULE_NOT_FOUND', 'not_found', `module '${name}' does not exist`),
  moduleExists: (name: string) => make('ERR_MODULE_EXISTS', 'conflict', `module '${name}' already exists`),
  runtimeUnsupported: (type: string, available: readonly string[]) =>
    make('ERR_EDGE_RUNTIME_UNSUPPORTED', 'invalid',
      `module type '${type}' cannot run here: the ${type === 'docker' ? 'Docker runtime is not enabled (add a [moby_runtime] table to config.toml)' : `'${type}' runtime does not exist`}; available: ${available.join(', ')}`),
  tooManyRequests: (limit: number) => make('ERR_EDGE_TOO_MANY_REQUESTS', 'throttled', `more than ${limit} concurrent requests on this socket`),
  hubRequest: (what: string, status: number, body: string) =>
    make('ERR_EDGE_HUB_REQUEST', status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not_found'
      : status === 409 ? 'conflict' : status === 412 ? 'precondition' : status >= 500 ? 'unavailable' : 'invalid',
      `${what}: the hub answered ${status}${body ? ` ${body.slice(0, 300)}` : ''}`),
  hubUnreachable: (what: string, cause: unknown) =>
    make('ERR_EDGE_HUB_UNREACHABLE', 'unavailable', `${what}: the hub cannot be reached (${(cause as Error).message})`, cause),
  notProvisioned: (why: string) => make('ERR_EDGE_NOT_PROVISIONED', 'unavailable', why),
  dpsRefused: (what: string, why: string) => make('ERR_EDGE_DPS_REFUSED', 'unauthorized', `${what}: ${why}`),
  dpsUnreachable: (what: string, cause: unknown) =>
    make('ERR_EDGE_DPS_UNREACHABLE', 'unavailable', `${what}: DPS cannot be reached (${(cause as Error).message || (cause as { code?: string }).code || String(cause)})`, cause),
}

/** The configuration file is invalid: `problems` holds every one, each starting with its TOML path. */
export class ConfigError extends Error {
  readonly code = 'ERR_EDGE_CONFIG_INVALID'
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration ${file}:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}
