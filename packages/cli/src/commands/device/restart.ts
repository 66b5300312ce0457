/** `ledge restart MODULE`: `POST /modules/{name}/restart`, then prints the module's name (as `iotedge restart`). */
import type { Command } from 'commander'
import type { CliIo } from '../../context.js'
import { seg } from './mgmt-client.js'
import { addTargetOptions, DeviceTarget, type TargetFlags } from './target.js'

export function addRestartCommand(program: Command, io: CliIo): void {
  addTargetOptions(program.command('restart').description('restart a module (as iotedge restart)').argument('<module>', 'the module name'))
    .action(async (name: string, _o: unknown, c: Command) => {
      const client = await new DeviceTarget(io, c.opts<TargetFlags>()).client({ timeoutMs: 120_000 })
      await client.json('POST', `/modules/${seg(name)}/restart`)
      io.stdout.write(`${name}\n`)
    })
}
