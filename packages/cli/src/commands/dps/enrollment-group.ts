/** `ledge hub dps enrollment-group create|list|show|delete`: symmetric-key groups (PUT/GET/DELETE /enrollmentGroups/{id}). */
import { Command } from 'commander'
import { act, type CliIo } from '../../context.js'
import { seg } from '../../hub-client.js'
import { addEnrollmentOptions, enrollmentBody, enrollmentFields, type EnrollmentBody, type EnrollmentFlags } from './shared.js'

const idOption = (cmd: Command): Command => cmd.requiredOption('-g, --enrollment-id <id>', 'the enrollment group id')

export function enrollmentGroupCommand(io: CliIo): Command {
  const group = new Command('enrollment-group').description('enrollment groups with symmetric keys: each device registers with a key derived from the group key')

  act<EnrollmentFlags & { enrollmentId: string }>(
    addEnrollmentOptions(idOption(group.command('create').description('create (or replace) an enrollment group'))),
    io,
    async (ctx) => {
      const o = ctx.opts
      const body = { enrollmentGroupId: o.enrollmentId, ...enrollmentBody(o) }
      const res = await ctx.client().request<EnrollmentBody>({ method: 'PUT', path: `/enrollmentGroups/${seg(o.enrollmentId)}`, json: body })
      ctx.out.record(res.body, enrollmentFields)
    },
  )

  act(group.command('list').description('list enrollment groups'), io, async (ctx) => {
    const res = await ctx.client().request<EnrollmentBody[]>({ method: 'GET', path: '/enrollmentGroups' })
    ctx.out.list(res.body, [
      { header: 'EnrollmentGroupId', get: (e) => e.enrollmentGroupId },
      { header: 'ProvisioningStatus', get: (e) => e.provisioningStatus },
      { header: 'Edge', get: (e) => (e.capabilities.iotEdge ? 'yes' : 'no') },
      { header: 'LastUpdated', get: (e) => e.lastUpdatedDateTimeUtc },
    ])
  })

  act<{ enrollmentId: string }>(idOption(group.command('show').description('show an enrollment group')), io, async (ctx) => {
    const res = await ctx.client().request<EnrollmentBody>({ method: 'GET', path: `/enrollmentGroups/${seg(ctx.opts.enrollmentId)}` })
    ctx.out.record(res.body, enrollmentFields)
  })

  act<{ enrollmentId: string }>(idOption(group.command('delete').description('delete an enrollment group (its devices stay in the registry)')), io, async (ctx) => {
    await ctx.client().request({ method: 'DELETE', path: `/enrollmentGroups/${seg(ctx.opts.enrollmentId)}` })
    ctx.out.note(`deleted enrollment group '${ctx.opts.enrollmentId}'`)
  })
  return group
}
