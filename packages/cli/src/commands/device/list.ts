/** `ledge list [-o table|json]`: the modules the edge daemon runs (as `iotedge list`, `GET /modules`). */
import type { Command } from 'commander'
import type { ModuleDetails, ModuleList } from '@ledge/protocol'
import { addOutputOption, CommandContext, type CliIo, type CommonFlags } from '../../context.js'
import type { Column } from '../../output.js'
import { describeModule, moduleConfigText } from './time.js'
import { addTargetOptions, DeviceTarget, type TargetFlags } from './target.js'

export function moduleColumns(now = Date.now()): Column<ModuleDetails>[] {
  return [
    { header: 'NAME', get: (m) => m.name },
    { header: 'STATUS', get: (m) => m.status.runtimeStatus.status },
    { header: 'DESCRIPTION', get: (m) => describeModule(m, now) },
    { header: 'CONFIG', get: (m) => moduleConfigText(m) },
  ]
}

/** The modules, sorted by name (the daemon answers in its runtime's order). */
export async function listModules(target: DeviceTarget): Promise<ModuleDetails[]> {
  const client = await target.client()
  const list = await client.json<ModuleList>('GET', '/modules')
  return [...(list?.modules ?? [])].sort((a, b) => a.name.localeCompare(b.name))
}

export function addListCommand(program: Command, io: CliIo): void {
  const cmd = addOutputOption(addTargetOptions(program.command('list').description('list the modules the edge daemon runs (as iotedge list)')))
  cmd.action(async (_o: unknown, c: Command) => {
    const opts = c.opts<TargetFlags & CommonFlags>()
    const ctx = new CommandContext<TargetFlags>(io, opts)
    const modules = await listModules(new DeviceTarget(io, opts))
    ctx.out.list(modules, moduleColumns())
  })
}
