/**
 * Route sources and message sources. A route's source is a path prefix, as in IoT Edge (Routing.Core
 * CustomMessageSource and BaseMessageSource): a trailing `*` and then a trailing `/` are trimmed, and the rest
 * matches every message source that starts with it at a `/` boundary, ignoring case. The documented sources are
 *   /*                                       everything (messages and twin change notifications)
 *   /messages/*                              device telemetry and module outputs
 *   /messages/modules/*                      module messages only
 *   /messages/modules/{m}/*                  messages of module m
 *   /messages/modules/{m}/outputs/*          the same, for messages sent on an output
 *   /messages/modules/{m}/outputs/{o}        output o of module m
 *   /twinChangeNotifications                 twin change notifications
 * and Ledge adds `/messages/events` (device telemetry only). Anything else is refused with the reason.
 */
import type { SystemProperties } from '../message.js'
import { quoteFound, RouteParseError } from './errors.js'

/** The source of device telemetry (leaf devices, and the edge device's own device client). */
export const TELEMETRY_SOURCE = '/messages/events'

/** The source of twin change notifications. */
export const TWIN_CHANGE_SOURCE = '/twinChangeNotifications'

/** `/messages/modules/{m}/outputs/{o}`, or `/messages/modules/{m}` for a module message without an output name. */
export function moduleMessageSource(moduleId: string, outputName?: string): string {
  return outputName ? `/messages/modules/${moduleId}/outputs/${outputName}` : `/messages/modules/${moduleId}`
}

/**
 * The source of a device-to-cloud message, from the system properties the hub stamped on it: a module output when
 * `connectionModuleId` is set, device telemetry otherwise. Twin change notifications use {@link TWIN_CHANGE_SOURCE}.
 */
export function messageSourceOf(systemProperties: Pick<SystemProperties, 'connectionModuleId' | 'outputName'>): string {
  const { connectionModuleId, outputName } = systemProperties
  return connectionModuleId ? moduleMessageSource(connectionModuleId, outputName) : TELEMETRY_SOURCE
}

/** Whether a route's source (as written, e.g. `/messages/modules/camera/*`) takes messages from `messageSource`. */
export function sourceMatches(routeSource: string, messageSource: string): boolean {
  return withSlash(messageSource).toLowerCase().startsWith(prefixOf(routeSource).toLowerCase())
}

/** `/messages/*` → `/messages/`; `/*` and `/` → `/`. */
function prefixOf(source: string): string {
  return withSlash(source.trim().replace(/\*+$/, ''))
}

function withSlash(path: string): string {
  return `${path.trim().replace(/\/+$/, '')}/`
}

/** Characters IoT Edge's route lexer does not allow in a path item, plus quotes and control characters. */
const BAD_CHAR = /[()<>@,;:\\"'[\]?={}\u0000-\u001f\u007f]/u

interface Segment {
  text: string
  /** Offset in the route text. */
  pos: number
}

/**
 * Checks a source path that starts at offset `pos` of the route text. Throws RouteParseError pointing at the
 * offending segment.
 */
export function checkSource(source: string, pos: number): void {
  const fail = (at: number, expected: string, found: string): never => {
    throw new RouteParseError('source', at, expected, found)
  }
  if (!source.startsWith('/')) fail(pos, "a source path starting with '/', such as /messages/*", quoteFound(source))

  const segments: Segment[] = []
  let at = pos + 1
  for (const text of source.slice(1).split('/')) {
    segments.push({ text, pos: at })
    at += text.length + 1
  }
  // A trailing '*' or '/' only says "and everything below": drop it (IoT Edge trims both).
  const last = segments[segments.length - 1]!
  if (last.text === '*' || last.text === '') segments.pop()

  for (const s of segments) {
    if (s.text === '*') fail(s.pos, "'*' only as the last segment (a source is a prefix, not a pattern)", quoteFound(source.slice(s.pos - pos)))
    if (s.text === '') fail(s.pos, `a path segment after '${source.slice(0, s.pos - pos)}'`, "'/'")
    const star = s.text.indexOf('*')
    if (star >= 0) fail(s.pos + star, "'*' only as a whole segment at the end of the source (a source is a prefix, not a pattern)", quoteFound(s.text))
    const bad = BAD_CHAR.exec(s.text)
    if (bad) fail(s.pos + bad.index, `a segment without ( ) < > @ , ; : \\ " ' [ ] ? = { } or control characters`, quoteFound(bad[0]))
  }
  checkShape(segments, fail)
}

type Fail = (at: number, expected: string, found: string) => never

/** The documented shapes, checked segment by segment so that the error names the first wrong one. */
function checkShape(segments: readonly Segment[], fail: Fail): void {
  const word = (k: number) => segments[k]?.text.toLowerCase()
  const [first, second] = [segments[0], segments[1]]
  if (!first) return // `/*` or `/`: everything
  if (word(0) === 'twinchangenotifications') {
    if (second) fail(second.pos, "end of the source after '/twinChangeNotifications'", quoteFound(second.text))
    return
  }
  if (word(0) !== 'messages') fail(first.pos, "'messages', 'twinChangeNotifications' or '*' after '/'", quoteFound(first.text))
  if (!second) return
  if (word(1) === 'events') {
    const third = segments[2]
    if (third) fail(third.pos, "end of the source after '/messages/events'", quoteFound(third.text))
    return
  }
  if (word(1) !== 'modules') fail(second.pos, "'modules', 'events' or '*' after '/messages/'", quoteFound(second.text))
  const fourth = segments[3]
  if (fourth && word(3) !== 'outputs') fail(fourth.pos, "'outputs' or '*' after the module name", quoteFound(fourth.text))
  const sixth = segments[5]
  if (sixth) fail(sixth.pos, 'end of the source after the output name', quoteFound(sixth.text))
}
