/**
 * Defaults that depend on where Ledge is installed: the config file's path and the edge agent's command line.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

/** Where `ledge edge start` and `ledge edge config …` look without `--config` (Azure: /etc/aziot/config.toml). */
export const DEFAULT_CONFIG_FILE = '/etc/ledge/config.toml'

export function defaultConfigFile(env: Record<string, string | undefined> = process.env): string {
  return env.LEDGE_EDGE_CONFIG ?? DEFAULT_CONFIG_FILE
}

/** The repository (or installation) root: this file is `<root>/packages/edge-daemon/src/config/defaults.ts`. */
export const LEDGE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/**
 * The edge agent Ledge runs when `[agent.config]` gives no command: Node running the Ledge edge agent, built
 * (`packages/edge-agent/bin/edge-agent.js`) or from source through tsx.
 */
export function defaultAgentSettings(root = LEDGE_ROOT): { command: string; args: string[] } {
  const bin = join(root, 'packages/edge-agent/bin/edge-agent.js')
  if (existsSync(bin)) return { command: process.execPath, args: [bin] }
  // An absolute loader URL: the agent's working directory (modules_dir) cannot resolve the bare name `tsx`.
  const tsx = import.meta.resolve('tsx')
  return { command: process.execPath, args: ['--import', tsx, join(root, 'packages/edge-agent/src/main.ts')] }
}

/**
 * The edge hub Ledge runs for the `edgeHub` system module when its process settings give no command (a manifest
 * written for Azure names the `mcr.microsoft.com/azureiotedge-hub` image instead): Node running Ledge's edge hub.
 */
export function defaultEdgeHubSettings(root = LEDGE_ROOT): { command: string; args: string[] } {
  const bin = join(root, 'packages/edge-hub/bin/edge-hub.js')
  if (existsSync(bin)) return { command: process.execPath, args: [bin] }
  const tsx = import.meta.resolve('tsx')
  return { command: process.execPath, args: ['--import', tsx, join(root, 'packages/edge-hub/src/main.ts')] }
}
