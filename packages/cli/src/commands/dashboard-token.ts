/**
 * `ledge hub dashboard-token [--duration 8h]`: a service SAS token for the web dashboard, signed with the key of the
 * CLI's own login (nothing is sent to the hub), and the dashboard URL that carries it in its fragment
 * (`/dashboard/#token=…`), which the browser never sends to a server. Opening the URL logs in until the token expires.
 */
import { Command } from 'commander'
import { createServiceSasToken } from '@ledge/protocol'
import { act, type CliIo } from '../context.js'
import { errors } from '../errors.js'

const DEFAULT_DURATION = '1h'
/** A token for a year is as far as a hand-out login should go; rotate the policy key to revoke it sooner. */
const MAX_DURATION_S = 365 * 24 * 3600
const UNIT_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 }

/** `3600`, `90s`, `30m`, `8h`, `7d` → seconds; throws a usage error naming the flag. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/i.exec(text.trim())
  if (!m) throw errors.badFlag('--duration', `must be seconds or a number with s, m, h or d (e.g. 8h), not '${text}'`)
  const seconds = Number(m[1]) * UNIT_S[(m[2] || 's').toLowerCase()]!
  if (seconds < 60) throw errors.badFlag('--duration', `must be at least a minute, not '${text}'`)
  if (seconds > MAX_DURATION_S) throw errors.badFlag('--duration', `must be at most 365d, not '${text}'`)
  return seconds
}

export function dashboardTokenCommand(io: CliIo): Command {
  const cmd = new Command('dashboard-token')
    .description("print a login token for the web dashboard and the URL that opens it, signed with the CLI login's policy key")
    .option('--duration <time>', 'how long the token is valid: seconds, or with s, m, h or d', DEFAULT_DURATION)
  return act<{ duration: string }>(cmd, io, async (ctx) => {
    const seconds = parseDuration(ctx.opts.duration)
    const { login } = ctx.client()
    const expiresAt = Math.ceil(Date.now() / 1000 + seconds)
    const token = createServiceSasToken({ hostName: login.hostName, policyName: login.policyName, keyBase64: login.key, expiresAt })
    const url = new URL('/dashboard/', login.url)
    url.hash = `token=${encodeURIComponent(token)}`
    const out = { url: url.toString(), token, policyName: login.policyName, hostName: login.hostName, expiresAt: new Date(expiresAt * 1000).toISOString() }
    ctx.out.record(out, (r) => [['Dashboard', r.url], ['Token', r.token], ['Policy', r.policyName], ['Expires', r.expiresAt]])
    ctx.out.note('Open the Dashboard URL in a browser, or paste the Token on its login page. Anyone holding it has the policy\'s rights until it expires.')
  })
}
