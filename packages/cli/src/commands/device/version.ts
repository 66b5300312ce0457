/**
 * `ledge version`: the CLI's version, Node's and the REST api-version; and, when an edge daemon answers on this
 * device (`-H`, `IOTEDGE_HOST`, or the socket of an existing config file), the daemon's version from `GET /systeminfo`
 * (as `iotedge version` shows aziot-edged's). Replaces ../version.ts, which printed the CLI part only.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { API_VERSION, type SystemInfo } from '@ledge/protocol'
import { addOutputOption, CommandContext, type CliIo, type CommonFlags } from '../../context.js'
import { CLI_VERSION } from '../../version-info.js'
import { addTargetOptions, DeviceTarget, type TargetFlags } from './target.js'

/**
 * The daemon's default config file, as `defaultConfigFile()` of @ledge/edge-daemon says. Repeated here so that
 * `ledge version` does not load the daemon's package (over a second) on machines that have no config.
 */
const DEFAULT_CONFIG_FILE = '/etc/ledge/config.toml'
const DAEMON_TIMEOUT_MS = 2000

interface VersionInfo {
  cli: string
  node: string
  apiVersion: string
  daemon?: { version: string; socket: string }
}

async function daemonVersion(io: CliIo, flags: TargetFlags): Promise<VersionInfo['daemon']> {
  const target = new DeviceTarget(io, flags)
  const explicit = target.hostSocket() !== undefined
  if (!explicit && !existsSync(resolve(io.cwd, flags.config ?? io.env.LEDGE_EDGE_CONFIG ?? DEFAULT_CONFIG_FILE))) return undefined
  try {
    const client = await target.client({ timeoutMs: DAEMON_TIMEOUT_MS })
    const info = await client.json<SystemInfo>('GET', '/systeminfo')
    return { version: info.version, socket: client.uri }
  } catch (err) {
    if (explicit || flags.config !== undefined) io.stderr.write(`warning: no edge daemon version: ${(err as Error).message}\n`)
    return undefined
  }
}

export function addDeviceVersionCommand(program: Command, io: CliIo): void {
  const cmd = addOutputOption(addTargetOptions(program.command('version').description("show the version of the CLI, and of the edge daemon when one runs here")))
  cmd.action(async (_o: unknown, c: Command) => {
    const opts = c.opts<TargetFlags & CommonFlags>()
    const ctx = new CommandContext<TargetFlags>(io, opts)
    const daemon = await daemonVersion(io, opts)
    const v: VersionInfo = { cli: CLI_VERSION, node: process.version, apiVersion: API_VERSION, ...(daemon ? { daemon } : {}) }
    ctx.out.print(v, (x) => `ledge ${x.cli} (node ${x.node}, api-version ${x.apiVersion})\n${x.daemon ? `edge daemon ${x.daemon.version} (${x.daemon.socket})\n` : ''}`)
  })
}
