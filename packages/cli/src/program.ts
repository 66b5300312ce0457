/**
 * The `ledge` program. `buildProgram` wires the command groups; `runCli` parses, runs and turns every outcome into an
 * exit code: 0, 1 (the hub or the network failed) or 2 (the command line is wrong or incomplete), with failures as
 * ONE `error: …` line on stderr. Nothing here touches `process`, so tests can run the program in-process.
 */
import { Command, CommanderError } from 'commander'
import type { CliIo } from './context.js'
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './errors.js'
import { CLI_VERSION } from './version-info.js'
import { addHubStartCommand } from './commands/hub-start.js'
import { deviceIdentityCommand } from './commands/device-identity.js'
import { moduleIdentityCommand } from './commands/module-identity.js'
import { deviceTwinCommand, moduleTwinCommand } from './commands/twins.js'
import { addMethodCommands } from './commands/methods.js'
import { c2dCommand } from './commands/c2d.js'
import { addQueryCommand } from './commands/query.js'
import { addMonitorEventsCommand } from './commands/monitor-events.js'
import { connectionStringCommand } from './commands/connection-string.js'
import { dashboardTokenCommand } from './commands/dashboard-token.js'
import { hubEdgeCommand } from './commands/hub-edge.js'
import { dpsCommand } from './commands/dps/index.js'
import { addEdgeStartCommand } from './commands/edge-start.js'
import { edgeConfigCommand } from './commands/edge-config.js'
import { addDeviceCommands, addDeviceVersionCommand } from './commands/device/index.js'
import { addCameraCommand } from './commands/camera.js'

/** Commander settings every command needs; subcommands made with `.command()` inherit them, added ones do not. */
function configure(cmd: Command, io: CliIo): Command {
  return cmd
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .showSuggestionAfterError(true)
}

/** Applies {@link configure} to `cmd` and everything under it. */
function configureTree(cmd: Command, io: CliIo): void {
  configure(cmd, io)
  for (const sub of cmd.commands) configureTree(sub, io)
}

export function buildProgram(io: CliIo): Command {
  const program = configure(new Command('ledge'), io)
    .description('Manage a Ledge hub (a self-hosted IoT Hub) in the `az iot hub` habit.')
    .version(CLI_VERSION, '-V, --version', 'show the version of the CLI')
  const hub = program.command('hub').description('the hub: run it, manage identities, twins, methods, messages')
  addHubStartCommand(hub, io)
  hub.addCommand(deviceIdentityCommand(io))
  hub.addCommand(moduleIdentityCommand(io))
  hub.addCommand(deviceTwinCommand(io))
  hub.addCommand(moduleTwinCommand(io))
  addMethodCommands(hub, io)
  hub.addCommand(c2dCommand(io))
  addQueryCommand(hub, io)
  addMonitorEventsCommand(hub, io)
  hub.addCommand(connectionStringCommand(io))
  hub.addCommand(dashboardTokenCommand(io))
  hub.addCommand(hubEdgeCommand(io))
  hub.addCommand(dpsCommand(io))
  const edge = program.command('edge').description('the edge daemon on this device: run it, write and apply its config')
  addEdgeStartCommand(edge, io)
  edge.addCommand(edgeConfigCommand(io))
  // On the device, as `iotedge`: list, logs, restart, check, system, support-bundle; version adds the daemon's.
  addDeviceCommands(program, io)
  addDeviceVersionCommand(program, io)
  addCameraCommand(program, io)
  configureTree(program, io)
  return program
}

/** Runs `argv` (the arguments after `ledge`) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io)
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return 0
  } catch (err) {
    return report(err, io)
  }
}

function report(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (one line); help and --version end with 0.
    return err.exitCode === 0 ? 0 : EXIT_USAGE
  }
  if (err instanceof CliError) {
    for (const line of err.lines ?? [err.message]) io.stderr.write(`error: ${oneLine(line)}\n`)
    return err.exitCode
  }
  const e = err as Error
  io.stderr.write(`error: ${oneLine(e?.message ?? String(err))}\n`)
  if (io.env.LEDGE_DEBUG) io.stderr.write(`${e?.stack ?? ''}\n`)
  return EXIT_FAILURE
}
