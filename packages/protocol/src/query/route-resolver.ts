/**
 * Resolves route-dialect references against a message, the way IoT Edge's route engine does
 * (edge-hub Routing.Core ConditionVisitor):
 * - `name`: the application property `name`. Application properties are strings on the wire, so compare them
 *   with strings, or convert with AS_NUMBER (`AS_NUMBER(faces) > 0`): `faces > 0` is a type mismatch, false.
 * - `$name`: the application property literally named `$name` if there is one, else the system property `name`
 *   (`$contentType`, `$connectionModuleId`, …, the keys of SystemProperties). IoT Edge's names for the two
 *   timestamps, `$enqueuedTime` and `$creationTime`, read `enqueuedTimeUtc` and `creationTimeUtc`.
 * - `{$name}`: the system property only.
 * - `$body.a.b[0]` / `{$body.a.b}`: a path into the body, which must be JSON: contentType `application/json` and
 *   contentEncoding utf-8 or utf-16 (utf-8 when absent). The body is decoded and parsed once, on first use.
 *   Unescaped, an application property named exactly `$body.a.b` wins, as in IoT Edge.
 */
import type { Message } from '../message.js'
import type { Resolver } from './ast.js'
import { fromUnknown, resolvePath, type QueryValue } from './value.js'

const NOT_PARSED = Symbol('not parsed')

/** IoT Edge's system property names (Routing.Core SystemProperties) where Ledge's SystemProperties differ. */
const EDGE_NAMES: Readonly<Record<string, string>> = { enqueuedTime: 'enqueuedTimeUtc', creationTime: 'creationTimeUtc' }

export function routeResolver(message: Pick<Message, 'body' | 'systemProperties' | 'properties'>): Resolver {
  const app = message.properties
  const sys = message.systemProperties as Record<string, unknown>
  let body: unknown = NOT_PARSED
  const appProperty = (name: string): QueryValue => (Object.hasOwn(app, name) ? fromUnknown(app[name]) : undefined)
  return (ref) => {
    switch (ref.kind) {
      case 'prop':
        return appProperty(ref.name)
      case 'path':
        return undefined
      case 'sysprop': {
        if (!ref.escaped && Object.hasOwn(app, ref.text)) return appProperty(ref.text)
        const key = Object.hasOwn(sys, ref.name) || !Object.hasOwn(EDGE_NAMES, ref.name) ? ref.name : EDGE_NAMES[ref.name]!
        return Object.hasOwn(sys, key) ? fromUnknown(sys[key]) : undefined
      }
      case 'body':
        if (!ref.escaped && Object.hasOwn(app, ref.text)) return appProperty(ref.text)
        if (body === NOT_PARSED) body = parseBody(message)
        return resolvePath(body, ref.segments)
    }
  }
}

/** The body as JSON, or undefined when it is not declared as JSON or does not parse. */
function parseBody(message: Pick<Message, 'body' | 'systemProperties'>): unknown {
  const { contentType, contentEncoding } = message.systemProperties
  if (contentType?.toLowerCase() !== 'application/json') return undefined
  const encoding = (contentEncoding ?? 'utf-8').toLowerCase()
  if (encoding !== 'utf-8' && encoding !== 'utf-16') return undefined
  try {
    return JSON.parse(new TextDecoder(encoding, { fatal: true }).decode(message.body))
  } catch {
    return undefined
  }
}
