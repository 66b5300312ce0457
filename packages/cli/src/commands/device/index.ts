/**
 * The device-side commands, in the `iotedge` habit: they talk to the edge daemon on this machine through its
 * management API (`<home_dir>/mgmt.sock`, api-version 2022-08-03), found with `-H`, `IOTEDGE_HOST` or `--config`.
 */
import type { Command } from 'commander'
import type { CliIo } from '../../context.js'
import { addCheckCommand } from './check.js'
import { addListCommand } from './list.js'
import { addLogsCommand } from './logs.js'
import { addRestartCommand } from './restart.js'
import { addSupportBundleCommand } from './support-bundle.js'
import { systemCommand } from './system.js'

export { addDeviceVersionCommand } from './version.js'

export function addDeviceCommands(program: Command, io: CliIo): void {
  addListCommand(program, io)
  addLogsCommand(program, io)
  addRestartCommand(program, io)
  addCheckCommand(program, io)
  systemCommand(program, io)
  addSupportBundleCommand(program, io)
}
