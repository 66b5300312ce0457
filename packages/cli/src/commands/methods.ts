/**
 * `ledge hub invoke-device-method` and `ledge hub invoke-module-method`: POST /twins/{d}[/modules/{m}]/methods,
 * answered with the device's `{status, payload}`.
 */
import type { Command } from 'commander'
import { DEFAULT_METHOD_TIMEOUT_S, MAX_METHOD_TIMEOUT_S, MIN_METHOD_TIMEOUT_S } from '@ledge/protocol'
import { act, type CliIo } from '../context.js'
import { parseIntFlag, parsePayloadFlag } from '../flags.js'
import { seg } from '../hub-client.js'

interface MethodOpts { deviceId: string; moduleId?: string; methodName: string; methodPayload?: string; timeout: string; connectTimeout: string }
interface MethodResult { status: number; payload: unknown }

/** Slack for the HTTP request beyond the hub's own wait for the device. */
const REQUEST_SLACK_S = 15

function methodCommand(parent: Command, io: CliIo, kind: 'device' | 'module'): void {
  const cmd = parent.command(`invoke-${kind}-method`).description(`call a direct method on a ${kind} and print its answer`)
  cmd.requiredOption('-d, --device-id <id>', 'device id')
  if (kind === 'module') cmd.requiredOption('-m, --module-id <id>', 'module id')
  else cmd.option('-m, --module-id <id>', 'call it on this module of the device')
  cmd
    .requiredOption('--method-name <name>', 'the method to call')
    .option('--method-payload <json>', 'the payload, JSON (text that is not JSON is sent as a JSON string)')
    .option('--timeout <s>', `seconds to wait for the answer, ${MIN_METHOD_TIMEOUT_S} to ${MAX_METHOD_TIMEOUT_S}`, String(DEFAULT_METHOD_TIMEOUT_S))
    .option('--connect-timeout <s>', 'seconds to wait for the device to connect, 0 to fail at once when it is offline', '0')
  act<MethodOpts>(cmd, io, async (ctx) => {
    const o = ctx.opts
    const timeout = parseIntFlag('--timeout', o.timeout, { min: MIN_METHOD_TIMEOUT_S, max: MAX_METHOD_TIMEOUT_S })!
    const connectTimeout = parseIntFlag('--connect-timeout', o.connectTimeout, { min: 0, max: MAX_METHOD_TIMEOUT_S })!
    const body = { methodName: o.methodName, payload: parsePayloadFlag(o.methodPayload), responseTimeoutInSeconds: timeout, connectTimeoutInSeconds: connectTimeout }
    const path = `/twins/${seg(o.deviceId)}${o.moduleId ? `/modules/${seg(o.moduleId)}` : ''}/methods`
    const res = await ctx.client().request<MethodResult>({ method: 'POST', path, json: body, timeoutMs: (timeout + connectTimeout + REQUEST_SLACK_S) * 1000 })
    ctx.out.record(res.body, (r) => [['Status', r.status], ['Payload', r.payload]])
  })
}

export function addMethodCommands(hub: Command, io: CliIo): void {
  methodCommand(hub, io, 'device')
  methodCommand(hub, io, 'module')
}
