/** `ledge hub dps enrollment create|list|show|delete`: individual enrollments (PUT/GET/DELETE /enrollments/{id}). */
import { Command, Option } from 'commander'
import { act, type CliIo } from '../../context.js'
import { seg } from '../../hub-client.js'
import { addEnrollmentOptions, enrollmentBody, enrollmentFields, type EnrollmentBody, type EnrollmentFlags } from './shared.js'

const idOption = (cmd: Command): Command => cmd.requiredOption('--registration-id <id>', 'the registration id (the device id unless --device-id says otherwise)')

export function enrollmentCommand(io: CliIo): Command {
  const group = new Command('enrollment').description('individual enrollments with symmetric keys')

  act<EnrollmentFlags & { registrationId: string; deviceId?: string }>(
    addEnrollmentOptions(idOption(group.command('create').description('create (or replace) an individual enrollment')))
      .option('--device-id <id>', 'the device id to register as (default: the registration id)')
      .addOption(new Option('--attestation-type <type>', 'how devices prove who they are').choices(['symmetrickey']).default('symmetrickey')),
    io,
    async (ctx) => {
      const o = ctx.opts
      const body = { registrationId: o.registrationId, ...(o.deviceId ? { deviceId: o.deviceId } : {}), ...enrollmentBody(o) }
      const res = await ctx.client().request<EnrollmentBody>({ method: 'PUT', path: `/enrollments/${seg(o.registrationId)}`, json: body })
      ctx.out.record(res.body, enrollmentFields)
    },
  )

  act(group.command('list').description('list individual enrollments'), io, async (ctx) => {
    const res = await ctx.client().request<EnrollmentBody[]>({ method: 'GET', path: '/enrollments' })
    ctx.out.list(res.body, [
      { header: 'RegistrationId', get: (e) => e.registrationId },
      { header: 'DeviceId', get: (e) => e.deviceId ?? e.registrationId },
      { header: 'ProvisioningStatus', get: (e) => e.provisioningStatus },
      { header: 'Edge', get: (e) => (e.capabilities.iotEdge ? 'yes' : 'no') },
      { header: 'LastUpdated', get: (e) => e.lastUpdatedDateTimeUtc },
    ])
  })

  act<{ registrationId: string }>(idOption(group.command('show').description('show an individual enrollment')), io, async (ctx) => {
    const res = await ctx.client().request<EnrollmentBody>({ method: 'GET', path: `/enrollments/${seg(ctx.opts.registrationId)}` })
    ctx.out.record(res.body, enrollmentFields)
  })

  act<{ registrationId: string }>(idOption(group.command('delete').description('delete an individual enrollment (the device stays in the registry)')), io, async (ctx) => {
    await ctx.client().request({ method: 'DELETE', path: `/enrollments/${seg(ctx.opts.registrationId)}` })
    ctx.out.note(`deleted enrollment '${ctx.opts.registrationId}'`)
  })
  return group
}
