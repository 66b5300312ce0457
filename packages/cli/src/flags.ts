/**
 * Parsing of flag values. Every failure names the flag (`--desired is not valid JSON: …`) and is a usage error.
 */
import { errors } from './errors.js'

/** `--desired '{"a":1}'` → the value; bad JSON names the flag. */
export function parseJsonFlag(flag: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw errors.badFlag(flag, `is not valid JSON: ${(err as Error).message}`)
  }
}

/** A JSON flag that must hold an object (twin sections). */
export function parseJsonObjectFlag(flag: string, text: string): Record<string, unknown> {
  const v = parseJsonFlag(flag, text)
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw errors.badFlag(flag, 'must be a JSON object, e.g. \'{"name": "value"}\'')
  return v as Record<string, unknown>
}

/**
 * A method payload: JSON when it parses, else the text as a JSON string (as `az` does for `--method-payload hello`).
 */
export function parsePayloadFlag(text: string | undefined): unknown {
  if (text === undefined) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** `k=v;k2=v2` (az's `--props`) → an object; a part without `=` names the flag. */
export function parsePropsFlag(flag: string, text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (text === undefined) return out
  for (const part of text.split(';')) {
    if (part.trim() === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) throw errors.badFlag(flag, `part '${part}' is not name=value (expected k=v;k2=v2)`)
    out[part.slice(0, eq).trim()] = part.slice(eq + 1)
  }
  return out
}

export function parseIntFlag(flag: string, text: string | undefined, opts: { min?: number; max?: number } = {}): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  const min = opts.min ?? 0
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw errors.badFlag(flag, `must be a whole number, not '${text}'`)
  if (n < min) throw errors.badFlag(flag, `must be at least ${min}, not ${n}`)
  if (opts.max !== undefined && n > opts.max) throw errors.badFlag(flag, `must be at most ${opts.max}, not ${n}`)
  return n
}

export function parseNumberFlag(flag: string, text: string | undefined, opts: { positive?: boolean } = {}): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n)) throw errors.badFlag(flag, `must be a number, not '${text}'`)
  if (opts.positive && n <= 0) throw errors.badFlag(flag, `must be more than 0, not ${n}`)
  return n
}

/** `--edge-enabled` as a switch, or `--edge-enabled true|false` on update. */
export function parseBoolFlag(flag: string, text: string | boolean | undefined): boolean | undefined {
  if (text === undefined || typeof text === 'boolean') return text
  const t = text.toLowerCase()
  if (t === 'true' || t === 'yes' || t === '1') return true
  if (t === 'false' || t === 'no' || t === '0') return false
  throw errors.badFlag(flag, `must be true or false, not '${text}'`)
}
