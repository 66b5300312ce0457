/**
 * Validation of a `process` module's config, and its resolution into what `spawn` needs. It runs at `create` (so that
 * a bad config is refused up front, naming every bad setting at once) and again at each `start` (a binary or a
 * directory may have gone since).
 */
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import type { ModuleConfig } from '@ledge/module-runtime'
import { moduleErrors } from '@ledge/module-runtime'
import { childEnv } from './child-env.js'

export const PROCESS_TYPE = 'process'
/** Docker's default, and Azure's (`stopGraceSeconds` of ProcessModuleSettings). */
export const DEFAULT_STOP_GRACE_MS = 10_000
/**
 * Module names become file names (`modules/<name>.json`, `logs/<name>/`): letters, digits, `.`, `_`, `-`, starting
 * with a letter or digit (Docker's container-name rule), at most 128 characters.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** Everything `spawn` needs, with paths absolute. */
export interface LaunchPlan {
  file: string
  args: string[]
  cwd: string
  env: Record<string, string>
  graceMs: number
}

interface Problem {
  setting: string
  problem: string
}

export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name)
}

/** Checks `config` and resolves it; throws ERR_MODULE_INVALID listing every problem. */
export async function resolveLaunch(config: ModuleConfig, modulesDir: string | undefined): Promise<LaunchPlan> {
  const problems = checkShape(config)
  if (problems.length > 0) throw moduleErrors.invalid(String(config.name), problems)
  const s = config.settings as { command: string; args?: string[]; workingDir?: string; stopGraceSeconds?: number }
  const env = childEnv(config.env)

  const cwd = s.workingDir === undefined ? (modulesDir ?? '/') : relativeTo(modulesDir, s.workingDir)
  if (cwd === undefined) problems.push({ setting: 'settings.workingDir', problem: `'${s.workingDir}' is relative, and the runtime has no modulesDir` })
  else if (!(await isDirectory(cwd))) problems.push({ setting: 'settings.workingDir', problem: `'${cwd}' is not an existing directory` })

  const file = await findExecutable(s.command, modulesDir, env.PATH ?? '')
  if (typeof file !== 'string') problems.push({ setting: 'settings.command', problem: file.problem })

  if (problems.length > 0) throw moduleErrors.invalid(config.name, problems)
  return { file: file as string, args: s.args ?? [], cwd: cwd!, env, graceMs: graceMsOf(config) }
}

/** The stop grace of `config`: `settings.stopGraceSeconds`, else {@link DEFAULT_STOP_GRACE_MS}. */
export function graceMsOf(config: ModuleConfig): number {
  const seconds = config.settings.stopGraceSeconds
  return typeof seconds === 'number' ? seconds * 1000 : DEFAULT_STOP_GRACE_MS
}

function checkShape(config: ModuleConfig): Problem[] {
  const problems: Problem[] = []
  const bad = (setting: string, problem: string) => problems.push({ setting, problem })
  if (!isValidName(config.name)) bad('name', `${JSON.stringify(config.name)} is not a module name (letters, digits, '.', '_', '-'; at most 128)`)
  if (config.type !== PROCESS_TYPE) bad('type', `'${config.type}' is not '${PROCESS_TYPE}'`)
  const s = config.settings as Record<string, unknown> | undefined
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    bad('settings', 'must be an object')
    return problems
  }
  if (typeof s.command !== 'string' || s.command.trim() === '' || s.command.includes('\0')) bad('settings.command', 'must be a non-empty string')
  if (s.args !== undefined && !(Array.isArray(s.args) && s.args.every((a) => typeof a === 'string' && !a.includes('\0')))) {
    bad('settings.args', 'must be an array of strings')
  }
  if (s.workingDir !== undefined && (typeof s.workingDir !== 'string' || s.workingDir === '' || s.workingDir.includes('\0'))) {
    bad('settings.workingDir', 'must be a non-empty string')
  }
  const grace = s.stopGraceSeconds
  if (grace !== undefined && !(typeof grace === 'number' && Number.isFinite(grace) && grace >= 0)) {
    bad('settings.stopGraceSeconds', 'must be a number of seconds, 0 or more')
  }
  if (s.image !== undefined && typeof s.image !== 'string') bad('settings.image', 'must be a string')
  if (typeof config.env !== 'object' || config.env === null) bad('env', 'must be an object of strings')
  else {
    for (const [key, value] of Object.entries(config.env)) {
      if (key === '' || key.includes('=') || key.includes('\0')) bad(`env.${key}`, 'is not a variable name')
      else if (typeof value !== 'string' || value.includes('\0')) bad(`env.${key}`, 'must be a string without NUL')
    }
  }
  if (config.labels !== undefined && !Object.values(config.labels).every((v) => typeof v === 'string')) bad('labels', 'must be an object of strings')
  return problems
}

function relativeTo(base: string | undefined, path: string): string | undefined {
  if (isAbsolute(path)) return path
  return base === undefined ? undefined : resolve(base, path)
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false
}

async function isExecutableFile(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined)
  if (!st?.isFile()) return false
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  )
}

/**
 * A command with a `/` is a path (relative to `modulesDir`); a bare name is looked up in the module's PATH, like
 * `execvp`. The result is absolute, so that what runs does not depend on the daemon's working directory.
 */
async function findExecutable(command: string, modulesDir: string | undefined, path: string): Promise<string | Problem> {
  if (command.includes('/')) {
    const file = relativeTo(modulesDir, command)
    if (file === undefined) return { setting: 'settings.command', problem: `'${command}' is relative, and the runtime has no modulesDir` }
    return (await isExecutableFile(file)) ? file : { setting: 'settings.command', problem: `'${file}' is not an executable file` }
  }
  for (const dir of path.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue
    const file = join(dir, command)
    if (await isExecutableFile(file)) return file
  }
  return { setting: 'settings.command', problem: `'${command}' is not an executable in PATH` }
}
