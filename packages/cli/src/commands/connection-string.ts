/**
 * `ledge hub connection-string show`: the hub's service connection string for a shared access policy. The login's own
 * policy is shown as it is; another one is read from the hub (GET /policies/{name}, which needs a policy with every
 * right, such as iothubowner).
 */
import { Command, Option } from 'commander'
import { formatServiceConnectionString } from '@ledge/protocol'
import { act, type CliIo } from '../context.js'
import { seg } from '../hub-client.js'
import { printConnectionString } from './device-identity.js'

interface Policy { keyName: string; primaryKey: string; secondaryKey: string }

export function connectionStringCommand(io: CliIo): Command {
  const group = new Command('connection-string').description("the hub's service connection strings")
  act<{ policyName?: string; keyType: 'primary' | 'secondary' }>(
    group.command('show').description('show the service connection string of a shared access policy')
      .option('--policy-name <name>', 'the policy (default: the one the CLI is logged in with)')
      .addOption(new Option('--key-type <type>', 'which key to use').choices(['primary', 'secondary']).default('primary')),
    io,
    async (ctx) => {
      const client = ctx.client()
      const { login } = client
      const name = ctx.opts.policyName ?? login.policyName
      if (name === login.policyName && ctx.opts.keyType === 'primary') return printConnectionString(ctx, login.connectionString)
      const policy = (await client.request<Policy>({ method: 'GET', path: `/policies/${seg(name)}` })).body
      const key = ctx.opts.keyType === 'primary' ? policy.primaryKey : policy.secondaryKey
      printConnectionString(ctx, formatServiceConnectionString({ hostName: login.hostName, sharedAccessKeyName: policy.keyName, sharedAccessKey: key }))
    },
  )
  return group
}
