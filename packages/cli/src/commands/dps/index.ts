/**
 * `ledge hub dps …`: the hub's device provisioning service in the `az iot dps` habit — enrollments, enrollment groups,
 * `compute-device-key`, and `show` (the id scope devices register with).
 */
import { Command } from 'commander'
import { deriveDeviceKey } from '@ledge/protocol'
import { act, type CliIo } from '../../context.js'
import { enrollmentCommand } from './enrollment.js'
import { enrollmentGroupCommand } from './enrollment-group.js'

export function dpsCommand(io: CliIo): Command {
  const dps = new Command('dps').description('the device provisioning service: enrollments and the id scope devices register with')
  dps.addCommand(enrollmentCommand(io))
  dps.addCommand(enrollmentGroupCommand(io))

  act<{ key: string; registrationId: string }>(
    dps.command('compute-device-key').description("a device's key in a symmetric-key enrollment group (no hub needed)")
      .requiredOption('--key <key>', 'the enrollment group key (base64)')
      .requiredOption('--registration-id <id>', "the device's registration id"),
    io,
    async (ctx) => {
      const key = deriveDeviceKey(ctx.opts.key, ctx.opts.registrationId)
      ctx.out.print({ derivedKey: key }, (v) => v.derivedKey + '\n')
    },
  )

  act(dps.command('show').description("the provisioning service's id scope and host"), io, async (ctx) => {
    const res = await ctx.client().request<{ idScope: string; deviceProvisioningHostName: string }>({ method: 'GET', path: '/provisioning' })
    ctx.out.record(res.body, (v) => [['IdScope', v.idScope], ['DeviceProvisioningHostName', v.deviceProvisioningHostName]])
  })
  return dps
}
