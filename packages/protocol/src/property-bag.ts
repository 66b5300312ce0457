/**
 * IoT Hub MQTT property bags: the last topic segment of telemetry, C2D and input topics,
 * `k=v&k=v`, URL-encoded; system properties use the short `$.` keys of {@link WIRE_SYSTEM_KEYS}.
 */
import { SYSTEM_WIRE_KEYS, WIRE_SYSTEM_KEYS, type ApplicationProperties, type SystemProperties } from './message.js'

export class PropertyBagError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PropertyBagError'
  }
}

export interface PropertyBag {
  systemProperties: SystemProperties
  properties: ApplicationProperties
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, '%20'))
  } catch {
    throw new PropertyBagError(`property bag ${what} '${part}' is not URL-encoded correctly`)
  }
}

/**
 * Parses a property bag. A trailing `/` (module outputs add one) is ignored. Unknown `$.` keys and `$`-prefixed keys
 * that are not system properties are kept as application properties, as IoT Hub does. Throws {@link PropertyBagError}.
 */
export function parsePropertyBag(text: string): PropertyBag {
  const bag: PropertyBag = { systemProperties: {}, properties: {} }
  const trimmed = text.endsWith('/') ? text.slice(0, -1) : text
  if (trimmed === '') return bag
  if (trimmed.includes('/')) throw new PropertyBagError(`property bag '${text}' contains '/': properties must be the last topic segment`)
  for (const pair of trimmed.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const rawKey = eq < 0 ? pair : pair.slice(0, eq)
    const key = decode(rawKey, 'key')
    if (key === '') throw new PropertyBagError(`property bag entry '${pair}' has an empty name`)
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1), `value of '${key}'`)
    const system = WIRE_SYSTEM_KEYS[key]
    if (system) {
      if (system === 'expiryTimeUtc' || system === 'creationTimeUtc') {
        if (Number.isNaN(Date.parse(value))) throw new PropertyBagError(`property '${key}' must be an ISO 8601 time, got '${value}'`)
      }
      bag.systemProperties[system] = value
    } else if (key === 'dt-subject') {
      bag.systemProperties.componentName = value
    } else {
      bag.properties[key] = value
    }
  }
  return bag
}

/** Formats a property bag with `$.`-keys first (system properties the receiver should see), then application properties. */
export function formatPropertyBag(system: SystemProperties, properties: ApplicationProperties, only?: readonly (keyof SystemProperties)[]): string {
  const parts: string[] = []
  for (const [name, value] of Object.entries(system) as [keyof SystemProperties, string | undefined][]) {
    if (value === undefined) continue
    if (only && !only.includes(name)) continue
    const wire = SYSTEM_WIRE_KEYS[name]
    if (wire) parts.push(`${encodeURIComponent(wire)}=${encodeURIComponent(value)}`)
  }
  for (const [k, v] of Object.entries(properties)) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
  return parts.join('&')
}
