import { AppError } from '@ledge/common'

/**
 * The errors every ModuleRuntime adapter throws (codes from the port's TSDoc), so that the daemon's management API
 * and the contract suite can react to them the same way whatever the runtime.
 */
export const moduleErrors = {
  exists: (name: string) => new AppError('ERR_MODULE_EXISTS', 'conflict', `module '${name}' already exists`),
  notFound: (name: string) => new AppError('ERR_MODULE_NOT_FOUND', 'not_found', `module '${name}' does not exist`),
  /**
   * `problems` maps each offending setting (`name`, `type`, `settings.command`, `env.FOO` …) to what is wrong with it;
   * the message lists them all, `details.settings` names them.
   */
  invalid: (name: string, problems: ReadonlyArray<{ setting: string; problem: string }>) =>
    new AppError(
      'ERR_MODULE_INVALID',
      'invalid',
      `module '${name}' cannot be run: ${problems.map((p) => `${p.setting} ${p.problem}`).join('; ')}`,
      { details: { settings: problems.map((p) => p.setting) } },
    ),
  unavailable: (why: string, options?: ErrorOptions) => new AppError('ERR_RUNTIME_UNAVAILABLE', 'unavailable', why, options),
}
