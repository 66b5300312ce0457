/**
 * Which edge daemon a device command talks to (as `iotedge`): `-H/--host unix:///path/mgmt.sock`, else
 * `IOTEDGE_HOST`, else the management socket of the config file (`--config`, else `LEDGE_EDGE_CONFIG`, else
 * `/etc/ledge/config.toml`), read with the daemon's own loader. `@ledge/edge-daemon` is imported only when a command
 * needs the config, so `ledge hub …` never loads it.
 */
import { isAbsolute } from 'node:path'
import { Option, type Command } from 'commander'
import type { LoadedConfig } from '@ledge/edge-daemon'
import type { CliIo } from '../../context.js'
import { CliError, EXIT_FAILURE, errors } from '../../errors.js'
import { edgeConfigFile } from '../edge-config.js'
import { ManagementClient } from './mgmt-client.js'

type EdgeDaemon = typeof import('@ledge/edge-daemon')

export interface TargetFlags {
  config?: string
  host?: string
}

const GROUP = 'Edge daemon:'

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--config <file>', 'the edge config file (default: LEDGE_EDGE_CONFIG, else /etc/ledge/config.toml)').helpGroup(GROUP))
    .addOption(new Option('-H, --host <uri>', "the daemon's management socket, unix:///path/mgmt.sock (default: IOTEDGE_HOST, else the config's)").helpGroup(GROUP))
}

/** `unix:///run/x/mgmt.sock` (or a plain absolute path) → the path; anything else names where it came from. */
export function socketPathOf(uri: string, from: string): string {
  if (isAbsolute(uri)) return uri
  if (!uri.startsWith('unix://')) {
    throw errors.usage(`${from} must be unix:///path/to/mgmt.sock, not '${uri}': the edge daemon serves its management API on a Unix socket only`)
  }
  const path = decodeURIComponent(uri.slice('unix://'.length))
  if (!isAbsolute(path)) throw errors.usage(`${from} must name an absolute socket path (unix:///path/to/mgmt.sock), not '${uri}'`)
  return path
}

export type ConfigAttempt = { loaded: LoadedConfig; file: string; error?: undefined } | { loaded?: undefined; file: string; error: CliError }

export class DeviceTarget {
  private pkgP: Promise<EdgeDaemon> | undefined
  private attempt: Promise<ConfigAttempt> | undefined

  constructor(
    readonly io: CliIo,
    readonly flags: TargetFlags,
  ) {}

  pkg(): Promise<EdgeDaemon> {
    this.pkgP ??= import('@ledge/edge-daemon')
    return this.pkgP
  }

  async configFile(): Promise<string> {
    return edgeConfigFile(await this.pkg(), this.flags.config, this.io)
  }

  /** The socket `-H` or `IOTEDGE_HOST` gives, if either does. */
  hostSocket(): string | undefined {
    if (this.flags.host !== undefined) return socketPathOf(this.flags.host, '-H/--host')
    const env = this.io.env.IOTEDGE_HOST
    return env ? socketPathOf(env, 'IOTEDGE_HOST') : undefined
  }

  /** Loads and validates the config once; the error is one line naming the file and its first problem. */
  tryConfig(): Promise<ConfigAttempt> {
    this.attempt ??= (async (): Promise<ConfigAttempt> => {
      const pkg = await this.pkg()
      const file = await this.configFile()
      try {
        return { loaded: pkg.loadConfigFile(file), file }
      } catch (err) {
        if (err instanceof pkg.ConfigError) {
          const more = err.problems.length > 1 ? ` (and ${err.problems.length - 1} more: run ledge check)` : ''
          return { file, error: new CliError(`${file}: ${(err.problems[0] ?? '').replace(/^\(file\): /, '')}${more}`, EXIT_FAILURE, { cause: err }) }
        }
        return { file, error: errors.failure(`${file}: ${(err as Error).message}`, err) }
      }
    })()
    return this.attempt
  }

  async config(): Promise<LoadedConfig> {
    const a = await this.tryConfig()
    if (a.error) throw a.error
    return a.loaded
  }

  async socketPath(): Promise<string> {
    const host = this.hostSocket()
    if (host !== undefined) return host
    const a = await this.tryConfig()
    if (a.error) {
      throw new CliError(`cannot find the edge daemon's management socket: ${a.error.message}; give --config FILE or -H unix:///path/to/mgmt.sock`, EXIT_FAILURE, { cause: a.error })
    }
    return a.loaded.config.ledge.managementSocket
  }

  async client(o: { timeoutMs?: number } = {}): Promise<ManagementClient> {
    return new ManagementClient(await this.socketPath(), { signal: this.io.signal, ...o })
  }
}
