/**
 * Defaults that depend on where Ledge is installed: the config file's path and the edge agent's command line.
 */
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ONE_BACKGROUND_THREAD, packageDir, SMALL_FOOTPRINT_FLAGS } from '@ledge/common'

/** Where `ledge edge start` and `ledge edge config …` look without `--config` (Azure: /etc/aziot/config.toml). */
export const DEFAULT_CONFIG_FILE = '/etc/ledge/config.toml'

export function defaultConfigFile(env: Record<string, string | undefined> = process.env): string {
  return env.LEDGE_EDGE_CONFIG ?? DEFAULT_CONFIG_FILE
}

/** The repository (or installation) root: the folder above `packages/`. */
export const LEDGE_ROOT = dirname(dirname(packageDir('@ledge/edge-daemon')))

/**
 * The build this code runs from (scripts/build.mjs bundles the daemon, the agent and the edge hub together into
 * `<root>/dist`), or undefined when it runs from its TypeScript sources. A daemon started from the build starts the
 * agent and the edge hub from the same build, so the three never mix versions.
 */
export function runningBuild(here = fileURLToPath(import.meta.url), root = LEDGE_ROOT): string | undefined {
  const dist = join(root, 'dist')
  return here.startsWith(dist + sep) ? dist : undefined
}

/** Node running one of Ledge's processes: its bundle when the daemon runs from the build, else its sources via tsx. */
function nodeCommand(entry: 'edge-agent' | 'edge-hub', source: string, build: string | undefined, root: string, flags: readonly string[] = []): { command: string; args: string[] } {
  if (build) return { command: process.execPath, args: [...flags, join(build, `${entry}.js`)] }
  // An absolute loader URL: the process's working directory (modules_dir) cannot resolve the bare name `tsx`.
  const tsx = import.meta.resolve('tsx')
  return { command: process.execPath, args: [...flags, '--import', tsx, join(root, source)] }
}

/** The edge agent Ledge runs when `[agent.config]` gives no command: a control-plane process, kept small. */
export function defaultAgentSettings(root = LEDGE_ROOT, build = runningBuild()): { command: string; args: string[] } {
  return nodeCommand('edge-agent', 'packages/edge-agent/src/main.ts', build, root, SMALL_FOOTPRINT_FLAGS)
}

/**
 * The edge hub Ledge runs for the `edgeHub` system module when its process settings give no command (a manifest
 * written for Azure names the `mcr.microsoft.com/azureiotedge-hub` image instead). V8's defaults but one background
 * thread (see small-footprint.ts in @ledge/common).
 */
export function defaultEdgeHubSettings(root = LEDGE_ROOT, build = runningBuild()): { command: string; args: string[] } {
  return nodeCommand('edge-hub', 'packages/edge-hub/src/main.ts', build, root, [ONE_BACKGROUND_THREAD])
}
