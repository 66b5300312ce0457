/** The edge agent's errors: one AppError each, with a stable code (`errors` for tests, nats.js style). */
import { AppError, HTTP_STATUS, type ErrorKind } from '@ledge/common'

function kindOfStatus(status: number): ErrorKind {
  const found = (Object.entries(HTTP_STATUS) as [ErrorKind, number][]).find(([, s]) => s === status)
  if (found) return found[0]
  return status >= 500 ? 'unavailable' : 'invalid'
}

export const errors = {
  managementApi: (status: number, what: string, message: string) =>
    new AppError('ERR_MANAGEMENT_API', kindOfStatus(status), `${what}: ${status} ${message}`, { details: { status } }),
  daemonUnreachable: (uri: string, cause: unknown) =>
    new AppError('ERR_DAEMON_UNREACHABLE', 'unavailable', `the edge daemon's management API at ${uri} is unreachable: ${(cause as Error)?.message ?? cause}`, { cause }),
  desiredUnavailable: (why: string, cause?: unknown) =>
    new AppError('ERR_DESIRED_UNAVAILABLE', 'unavailable', `no deployment: ${why}`, { cause }),
  config: (problems: string[]) => new AppError('ERR_AGENT_CONFIG', 'invalid', `the edge agent's settings are not valid: ${problems.join('; ')}`),
}

/** A deployment the agent cannot apply, with Azure's status code (400, 412, 417). */
export class DeploymentConfigError extends Error {
  constructor(
    readonly code: 400 | 412 | 417,
    readonly problems: string[],
  ) {
    super(problems.join('; '))
    this.name = 'DeploymentConfigError'
  }
}
