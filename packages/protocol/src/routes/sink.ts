/**
 * Route sinks: `$upstream` (the cloud) and `BrokeredEndpoint("/modules/{module}/inputs/{input}")` (a module input),
 * the two endpoints IoT Edge's edgeHub knows (Hub.Core routing/EndpointFactory). Both names are case-insensitive
 * there and here. The endpoint path is checked more strictly than IoT Edge does (it only counts segments): the
 * leading '/' and the words `modules` and `inputs` (any case) are required, and the names must fit in MQTT topics.
 */
import { QueryParseError } from '../query/errors.js'
import type { Token } from '../query/lexer.js'
import { Parser } from '../query/parser.js'
import { quoteFound } from './errors.js'
import type { RouteSink } from './route.js'

export const SINK_EXPECTED = 'a sink: $upstream or BrokeredEndpoint("/modules/{module}/inputs/{input}")'
const PATH_SHAPE = '/modules/{module}/inputs/{input}'

/** Module and input names end up in MQTT topic levels: no wildcards, spaces or control characters. */
const BAD_NAME_CHAR = /[#+\s\u0000-\u001f\u007f]/u

/** The sink's identity: routes with equal ids deliver to the same endpoint (`$upstream`, `/modules/m/inputs/i`). */
export function sinkId(sink: RouteSink): string {
  return sink.kind === 'upstream' ? '$upstream' : `/modules/${sink.module}/inputs/${sink.input}`
}

/** The sink as a route writes it. */
export function formatSink(sink: RouteSink): string {
  return sink.kind === 'upstream' ? '$upstream' : `BrokeredEndpoint("${sinkId(sink)}")`
}

/**
 * Parses the sink that starts at offset `from` of the route text and must end it. Uses the query lexer on the
 * text with everything before `from` blanked, so that every position, also those quoted inside messages, is an
 * offset into the route. Throws QueryParseError (the caller tags it as a sink error).
 */
export function parseSink(text: string, from: number): RouteSink {
  const p = new Parser(' '.repeat(from) + text.slice(from), 'route')
  const t = p.next()
  let sink: RouteSink
  if (t.kind === 'ident' && t.text.toLowerCase() === '$upstream') {
    sink = { kind: 'upstream' }
  } else if (t.kind === 'ident' && t.text.toLowerCase() === 'brokeredendpoint') {
    p.expectPunct('(', "'(' after BrokeredEndpoint")
    const path = p.next()
    if (path.kind !== 'string') p.fail(path, 'a quoted endpoint path such as "/modules/{module}/inputs/{input}"')
    p.expectPunct(')', "')' after the endpoint path")
    sink = modulePath(path)
  } else {
    return p.fail(t, SINK_EXPECTED)
  }
  p.expectEnd('end of the route after the sink')
  return sink
}

interface Segment {
  text: string
  /** Offset in the decoded path. */
  offset: number
}

/** `/modules/{module}/inputs/{input}`, segment by segment, pointing into the string when it has no escapes. */
function modulePath(token: Token): RouteSink {
  const path = String(token.value)
  const exact = token.text.slice(1, -1) === path
  const fail = (offset: number, expected: string, found: string): never => {
    const pos = exact ? token.pos + 1 + offset : token.pos
    throw new QueryParseError(pos, `${expected} ${PATH_SHAPE}`, found)
  }
  const describe = (offset: number, text: string | undefined) =>
    offset >= path.length ? 'end of the path' : text ? quoteFound(text) : `'${path[offset]}'`
  if (!path.startsWith('/')) fail(0, "'/' at the start of the endpoint path", describe(0, path.split('/')[0]))

  const segments: Segment[] = []
  let at = 1
  for (const text of path.slice(1).split('/')) {
    segments.push({ text, offset: at })
    at += text.length + 1
  }
  const segment = (k: number): Segment => segments[k] ?? { text: '', offset: path.length }
  const word = (k: number, w: string) => {
    const s = segment(k)
    if (s.text.toLowerCase() !== w) fail(s.offset, `'${w}' in the endpoint path`, describe(s.offset, s.text))
  }
  const name = (k: number, what: string): string => {
    const s = segment(k)
    if (s.text === '') fail(s.offset, `${what} name in the endpoint path`, describe(s.offset, s.text))
    const bad = BAD_NAME_CHAR.exec(s.text)
    if (bad) fail(s.offset + bad.index, `${what} name without '#', '+', spaces or control characters in the endpoint path`, quoteFound(bad[0]))
    return s.text
  }
  word(0, 'modules')
  const module = name(1, 'a module')
  word(2, 'inputs')
  const input = name(3, 'an input')
  const extra = segments[4]
  if (extra) fail(extra.offset - 1, 'nothing after the input name in the endpoint path', quoteFound(path.slice(extra.offset - 1)))
  return { kind: 'module', module, input }
}
