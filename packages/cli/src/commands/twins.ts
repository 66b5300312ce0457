/**
 * `ledge hub device-twin show|update` and `ledge hub module-twin show|update`: GET and PATCH
 * /twins/{d}[/modules/{m}] (tags and desired properties; JSON merge patch, `null` removes a property).
 */
import { Command } from 'commander'
import type { Twin } from '@ledge/protocol'
import { act, type CliIo } from '../context.js'
import { errors } from '../errors.js'
import { parseJsonObjectFlag } from '../flags.js'
import { seg } from '../hub-client.js'
import { ifMatchValue } from './device-identity.js'

/** A twin section without `$metadata` and `$version`, for the table. */
function props(section: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!section) return undefined
  return Object.fromEntries(Object.entries(section).filter(([k]) => !k.startsWith('$')))
}

export function twinFields(t: Twin): [string, unknown][] {
  return [
    ['DeviceId', t.deviceId],
    ['ModuleId', t.moduleId],
    ['Status', t.status],
    ['ConnectionState', t.connectionState],
    ['Etag', t.etag],
    ['Version', t.version],
    ['Tags', t.tags ?? {}],
    ['Desired', props(t.properties?.desired) ?? {}],
    ['DesiredVersion', t.properties?.desired?.$version],
    ['Reported', props(t.properties?.reported) ?? {}],
    ['ReportedVersion', t.properties?.reported?.$version],
  ]
}

const twinPath = (d: string, m: string | undefined): string => `/twins/${seg(d)}${m ? `/modules/${seg(m)}` : ''}`

interface TwinOpts { deviceId: string; moduleId?: string }
interface UpdateOpts extends TwinOpts { desired?: string; tags?: string; etag?: string }

function twinGroup(io: CliIo, kind: 'device' | 'module'): Command {
  const group = new Command(`${kind}-twin`).description(kind === 'device' ? "read and change a device's twin" : "read and change a module's twin")
  const ids = (cmd: Command): Command => {
    cmd.requiredOption('-d, --device-id <id>', 'device id')
    return kind === 'module' ? cmd.requiredOption('-m, --module-id <id>', 'module id') : cmd.option('-m, --module-id <id>', "a module's twin instead of the device's")
  }

  act<TwinOpts>(ids(group.command('show').description(`show a ${kind} twin`)), io, async (ctx) => {
    const res = await ctx.client().request<Twin>({ method: 'GET', path: twinPath(ctx.opts.deviceId, ctx.opts.moduleId) })
    ctx.out.record(res.body, twinFields)
  })

  act<UpdateOpts>(
    ids(group.command('update').description(`patch a ${kind} twin's tags and desired properties (null removes a property)`))
      .option('--desired <json>', 'desired properties to merge, a JSON object')
      .option('--tags <json>', 'tags to merge, a JSON object')
      .option('--etag <etag>', 'update only if the twin still has this etag'),
    io,
    async (ctx) => {
      const o = ctx.opts
      if (o.desired === undefined && o.tags === undefined) throw errors.usage('nothing to update: give --desired and/or --tags')
      const desired = o.desired !== undefined ? parseJsonObjectFlag('--desired', o.desired) : undefined
      const tags = o.tags !== undefined ? parseJsonObjectFlag('--tags', o.tags) : undefined
      const patch = { ...(tags ? { tags } : {}), ...(desired ? { properties: { desired } } : {}) }
      const res = await ctx.client().request<Twin>({ method: 'PATCH', path: twinPath(o.deviceId, o.moduleId), json: patch, headers: { 'if-match': ifMatchValue(o.etag) } })
      ctx.out.record(res.body, twinFields)
    },
  )
  return group
}

export function deviceTwinCommand(io: CliIo): Command {
  return twinGroup(io, 'device')
}

export function moduleTwinCommand(io: CliIo): Command {
  return twinGroup(io, 'module')
}
