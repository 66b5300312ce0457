/**
 * Secrets out of a support bundle. Two layers: patterns (a connection string's SharedAccessKey, a SAS token's `sig`,
 * PEM private keys, `device_id_pk` values in TOML, whatever its form), then every known secret value (the device key,
 * the module keys the daemon caches) wherever it appears, in any file of the bundle.
 */

export const REDACTED = '<redacted>'

/** Shorter values are not replaced everywhere: they would match ordinary text. */
const MIN_SECRET_LENGTH = 8

const PATTERNS: [RegExp, string][] = [
  [/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, REDACTED],
  [/(SharedAccessKey\s*=\s*)[^;"'\s]+/gi, `$1${REDACTED}`],
  [/([?&\s]sig=)[^&\s"']+/g, `$1${REDACTED}`],
]

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Any text: the patterns, then each known secret. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text
  for (const [re, to] of PATTERNS) out = out.replace(re, to)
  for (const s of [...new Set(secrets)].filter((x) => x.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(escapeRegExp(s), 'g'), REDACTED)
  }
  return out
}

/**
 * A config.toml: {@link redactText}, plus the `value` of `device_id_pk` in its three TOML forms (inline table,
 * dotted key, `[….device_id_pk]` table).
 */
export function redactConfigToml(text: string, secrets: readonly string[] = []): string {
  const str = String.raw`("(?:[^"\\]|\\.)*"|'[^']*')`
  const inline = new RegExp(String.raw`(device_id_pk\s*=\s*\{[^}]*?\bvalue\s*=\s*)${str}`, 'g')
  const dotted = new RegExp(String.raw`(device_id_pk\s*\.\s*value\s*=\s*)${str}`, 'g')
  const lines = text.replace(inline, `$1"${REDACTED}"`).replace(dotted, `$1"${REDACTED}"`).split('\n')
  let inPkTable = false
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    const header = /^\s*\[([^\]]+)\]\s*(#.*)?$/.exec(l)
    if (header) inPkTable = /(^|\.)\s*device_id_pk\s*$/.test(header[1]!)
    else if (inPkTable) lines[i] = l.replace(new RegExp(String.raw`^(\s*value\s*=\s*)${str}`), `$1"${REDACTED}"`)
  }
  return redactText(lines.join('\n'), secrets)
}

/** String values under keys that name keys (`primaryKey`, `secondaryKey`, `key`): the secrets of a JSON file. */
export function secretsInJson(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) secretsInJson(v, out)
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && /key$/i.test(k)) out.push(v)
      else secretsInJson(v, out)
    }
  }
  return out
}
