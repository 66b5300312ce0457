/** `ledge version`: the CLI's version, Node's, and the REST api-version it speaks. */
import type { Command } from 'commander'
import { API_VERSION } from '@ledge/protocol'
import { addOutputOption, type CliIo, type CommonFlags, CommandContext } from '../context.js'
import { CLI_VERSION } from '../version-info.js'

export function addVersionCommand(program: Command, io: CliIo): void {
  const cmd = addOutputOption(program.command('version').description('show the version of the CLI'))
  cmd.action(async (_o: unknown, c: Command) => {
    const ctx = new CommandContext<object>(io, c.opts<CommonFlags>())
    ctx.out.print({ cli: CLI_VERSION, node: process.version, apiVersion: API_VERSION }, (v) => `ledge ${v.cli} (node ${v.node}, api-version ${v.apiVersion})\n`)
  })
}
