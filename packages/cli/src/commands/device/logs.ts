/**
 * `ledge logs MODULE [--tail N] [--since T] [--until T] [-f] [--timestamps]` (as `iotedge logs`): the module's
 * stdout and stderr from `GET /modules/{name}/logs`, copied to stdout as they come. With `-f` it follows until
 * Ctrl-C (exit 0). Times are parsed here, so a bad value is a usage error naming its flag.
 */
import { StringDecoder } from 'node:string_decoder'
import type { Command } from 'commander'
import type { CliIo } from '../../context.js'
import { errors } from '../../errors.js'
import { parseIntFlag } from '../../flags.js'
import type { Writer } from '../../output.js'
import { seg, type ManagementClient } from './mgmt-client.js'
import { apiSeconds, parseTimeFlag } from './time.js'
import { addTargetOptions, DeviceTarget, type TargetFlags } from './target.js'

const ended = (name: string): Error => errors.failure(`the log stream of '${name}' ended: the module was removed or the edge daemon stopped`)

export interface LogQuery {
  tail?: number
  /** epoch ms */
  since?: number
  until?: number
  follow?: boolean
  timestamps?: boolean
}

interface LogsOpts extends TargetFlags {
  tail?: string
  since?: string
  until?: string
  follow?: boolean
  timestamps?: boolean
}

/** The flags as a {@link LogQuery}; every bad value names its flag. */
export function logQueryOf(o: { tail?: string; since?: string; until?: string; follow?: boolean; timestamps?: boolean }, now = Date.now()): LogQuery {
  const q: LogQuery = {}
  if (o.tail !== undefined && o.tail !== 'all') q.tail = parseIntFlag('--tail', o.tail, { min: 0 })!
  if (o.since !== undefined) q.since = parseTimeFlag('--since', o.since, now)
  if (o.until !== undefined) q.until = parseTimeFlag('--until', o.until, now)
  if (q.since !== undefined && q.until !== undefined && q.until < q.since) throw errors.usage('--until is before --since')
  if (o.follow) q.follow = true
  if (o.timestamps) q.timestamps = true
  return q
}

/**
 * Copies the module's log to `out` until the reply ends, or until `signal` aborts (then it resolves: Ctrl-C ends a
 * follow cleanly). A follow that the daemon ends (it stopped) fails.
 */
export async function streamModuleLogs(client: ManagementClient, name: string, q: LogQuery, out: Writer, signal: AbortSignal): Promise<void> {
  let res
  try {
    res = await client.open('GET', `/modules/${seg(name)}/logs`, {
      follow: q.follow ? 'true' : undefined,
      tail: q.tail,
      since: q.since === undefined ? undefined : apiSeconds(q.since),
      until: q.until === undefined ? undefined : apiSeconds(q.until),
      timestamps: q.timestamps ? 'true' : undefined,
    }, { stream: q.follow === true })
  } catch (err) {
    if (signal.aborted) return
    throw err
  }
  await new Promise<void>((resolve, reject) => {
    const decoder = new StringDecoder('utf8')
    let done = false
    const finish = (err?: Error): void => {
      if (done) return
      done = true
      signal.removeEventListener('abort', onAbort)
      const rest = decoder.end()
      if (rest) out.write(rest)
      if (err) {
        res.destroy()
        reject(err)
      } else resolve()
    }
    const onAbort = (): void => {
      res.destroy()
      finish()
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    res.on('data', (c: Buffer) => out.write(decoder.write(c)))
    res.on('end', () => finish(q.follow ? ended(name) : undefined))
    res.on('error', (err) => finish(signal.aborted ? undefined : errors.failure(`the log stream of '${name}' broke: ${err.message}`)))
    res.on('close', () => finish(signal.aborted || !q.follow ? undefined : ended(name)))
  })
}

/** The whole log (no follow) as text. */
export async function readModuleLogs(client: ManagementClient, name: string, q: Omit<LogQuery, 'follow'>, signal: AbortSignal): Promise<string> {
  let text = ''
  await streamModuleLogs(client, name, { ...q, follow: false }, { write: (s: string) => (text += s) }, signal)
  return text
}

export function addLogOptions(cmd: Command): Command {
  return cmd
    .option('--tail <n>', "only the last N lines, or 'all'", 'all')
    .option('--since <time>', 'only lines since this time: ISO time, Unix seconds or a duration back from now (10m, 1h, 2d)')
    .option('--until <time>', 'only lines until this time (same forms as --since)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--timestamps', 'start each line with its RFC 3339 time')
}

export function addLogsCommand(program: Command, io: CliIo): void {
  addTargetOptions(addLogOptions(program.command('logs').description("print a module's logs (as iotedge logs)").argument('<module>', 'the module name')))
    .action(async (name: string, _o: unknown, c: Command) => {
      const o = c.opts<LogsOpts>()
      const q = logQueryOf(o)
      const client = await new DeviceTarget(io, o).client()
      await streamModuleLogs(client, name, q, io.stdout, io.signal)
    })
}
