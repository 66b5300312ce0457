/**
 * Times as the device commands take and show them: `--since`/`--until` values (RFC 3339, Unix seconds or a duration
 * back from now, as `iotedge logs`), and Docker-style ages ("Up 3 minutes", "Failed (3) 10 seconds ago").
 */
import type { ModuleDetails } from '@ledge/protocol'
import { errors } from '../../errors.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const UNITS: Record<string, number> = {
  s: SECOND, sec: SECOND, secs: SECOND, second: SECOND, seconds: SECOND,
  m: MINUTE, min: MINUTE, mins: MINUTE, minute: MINUTE, minutes: MINUTE,
  h: HOUR, hr: HOUR, hrs: HOUR, hour: HOUR, hours: HOUR,
  d: DAY, day: DAY, days: DAY,
  w: 7 * DAY, week: 7 * DAY, weeks: 7 * DAY,
}

/** `10m`, `1h30m`, `2 days` → milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase()
  if (s === '') return undefined
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy
  let total = 0
  let m: RegExpExecArray | null
  let end = 0
  while ((m = part.exec(s)) !== null) {
    const unit = UNITS[m[2]!]
    if (unit === undefined) return undefined
    total += Number(m[1]) * unit
    end = part.lastIndex
  }
  return end === s.length ? total : undefined
}

/**
 * A `--since`/`--until` value → epoch milliseconds: Unix seconds (`1718000000`), an RFC 3339 / ISO time
 * (`2024-06-10T08:00:00Z`), or a duration back from now (`90s`, `10m`, `1h`, `1 day`).
 */
export function parseTimeFlag(flag: string, text: string, now = Date.now()): number {
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * SECOND
  const d = parseDuration(t)
  if (d !== undefined) return now - d
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t)
    if (!Number.isNaN(ms)) return ms
  }
  throw errors.badFlag(flag, `must be an ISO time (2024-06-10T08:00:00Z), Unix seconds or a duration like 10m, 1h, 2d, not '${text}'`)
}

/** Epoch milliseconds as the Unix seconds the management API takes. */
export function apiSeconds(ms: number): string {
  return (Math.max(0, ms) / SECOND).toFixed(3)
}

/** Docker's `HumanDuration`: "Less than a second", "1 second", "About a minute", "3 hours", "2 weeks"… */
export function humanizeDuration(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / SECOND)
  const min = Math.floor(s / 60)
  const h = Math.floor(min / 60)
  if (s < 1) return 'Less than a second'
  if (s === 1) return '1 second'
  if (s < 60) return `${s} seconds`
  if (min === 1) return 'About a minute'
  if (min < 60) return `${min} minutes`
  if (h === 1) return 'About an hour'
  if (h < 48) return `${h} hours`
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`
  return `${Math.floor(h / 24 / 365)} years`
}

function ago(iso: string | undefined, now: number): string {
  const t = iso === undefined ? NaN : Date.parse(iso)
  return Number.isNaN(t) ? '' : ` ${humanizeDuration(now - t)} ago`
}

/** `iotedge list`'s DESCRIPTION: "Up 3 minutes", "Stopped", "Failed (3) 10 seconds ago", "Unknown". */
export function describeModule(m: ModuleDetails, now = Date.now()): string {
  const s = m.status
  switch (s.runtimeStatus.status) {
    case 'running': {
      const t = s.startTime === undefined ? NaN : Date.parse(s.startTime)
      return Number.isNaN(t) ? 'Up' : `Up ${humanizeDuration(now - t)}`
    }
    case 'stopped':
      return 'Stopped'
    case 'failed':
    case 'dead': {
      const code = s.exitStatus?.exitCode
      return `Failed${code ? ` (${code})` : ''}${ago(s.exitStatus?.statusTime, now)}`
    }
    default:
      return 'Unknown'
  }
}

/** `iotedge list`'s CONFIG: the image, or for a process module its command line. */
export function moduleConfigText(m: ModuleDetails): string {
  const st = m.config.settings
  if (typeof st.image === 'string' && st.image) return st.image
  if (typeof st.command === 'string') {
    const args = Array.isArray(st.args) ? st.args.map(String) : []
    return [st.command, ...args].join(' ')
  }
  return ''
}
