/**
 * Property tests with a fixed seed: whatever the text, parseRoute either returns a route or throws RouteParseError
 * (with a position inside the text); matching whatever parsed never throws; generated valid routes always parse
 * to what was generated, also after harmless rewrites (keyword case, blanks, parentheses, quotes).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { QueryParseError } from '../query/errors.js'
import { FUNCTION_NAMES } from '../query/functions.js'
import { parseCondition } from '../query/parser.js'
import { parseEdgeHubRoutes } from './edgehub-routes.js'
import { RouteParseError } from './errors.js'
import { matchRoutes } from './match-routes.js'
import { findInto, parseRoute } from './parse-route.js'
import type { RoutableMessage, Route, RouteSink } from './route.js'
import { seededRandom } from '../testing/seeded-random.js'

const { random, int, pick, chance } = seededRandom(0x20a7e5)

const messages: RoutableMessage[] = [
  {
    source: '/messages/modules/camera/outputs/frames',
    body: Buffer.from(JSON.stringify({ a: 1, b: { c: 'x' }, arr: [1, 2], into: 3 })),
    systemProperties: { contentType: 'application/json', connectionModuleId: 'camera', connectionDeviceId: 'edge1', outputName: 'frames' },
    properties: { a: '1', faceCount: '2' },
  },
  { source: '/messages/events', body: Buffer.from([0xff, 0x00]), systemProperties: { connectionDeviceId: 'leaf' }, properties: {} },
  { source: '/twinChangeNotifications', body: Buffer.from('{}'), systemProperties: { contentType: 'application/json' }, properties: {} },
]

/** Parses `text`; only RouteParseError may escape, with a sane position; matching what parsed must not throw. */
function exercise(text: string): Route | undefined {
  let route: Route
  try {
    route = parseRoute(text)
  } catch (err) {
    if (!(err instanceof RouteParseError)) assert.fail(`${String(err)} for input ${JSON.stringify(text)}`)
    assert.ok(err.position >= 0 && err.position <= text.length, `position ${err.position} outside ${JSON.stringify(text)}`)
    assert.ok(err.message.startsWith(`at position ${err.position}: expected `), err.message)
    return undefined
  }
  assert.ok(text.includes(route.source), `source ${route.source} not in ${JSON.stringify(text)}`)
  for (const m of messages) matchRoutes([{ ...route, priority: 0 }], m)
  return route
}

// ---- generators ------------------------------------------------------------------------------------------------

const NAME_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-']
const name = () => Array.from({ length: 1 + int(10) }, () => pick(NAME_CHARS)).join('')
const blank = () => pick([' ', ' ', ' ', '  ', '\n', '\t', '\r\n  ', ' \n\t '])
const anyCase = (word: string) => (chance(0.5) ? word : [...word].map((c) => (chance(0.5) ? c.toLowerCase() : c.toUpperCase())).join(''))

function genSource(): string {
  const m = name()
  return pick([
    '/*', '/messages/*', '/messages', '/messages/events', '/messages/modules/*', `/messages/modules/${m}/*`, `/messages/modules/${m}`,
    `/messages/modules/${m}/outputs/*`, `/messages/modules/${m}/outputs/${name()}`, '/twinChangeNotifications', '/twinChangeNotifications/*',
  ])
}

function genSink(): { text: string; sink: RouteSink } {
  if (chance(0.4)) return { text: anyCase('$upstream'), sink: { kind: 'upstream' } }
  const [module, input] = [name(), name()]
  const q = pick(['"', "'"])
  const text = `${anyCase('BrokeredEndpoint')}${pick(['', ' '])}(${pick(['', ' ', '\n'])}${q}/modules/${module}/inputs/${input}${q}${pick(['', ' '])})`
  return { text, sink: { kind: 'module', module, input } }
}

const REFS = ['a', 'faceCount', 'missing', 'a.b', '$connectionModuleId', '{$contentType}', '$body.a', '$body.b.c', '{$body.arr[1]}', '$body.into', '{$into}', 'intoX']
const LEAVES = [...REFS, '1', '-2.5', '0x1F', '1e3', '.5', "'x'", "'INTO'", '"a INTO b"', "'it''s'", 'true', 'false', 'null', 'undefined']

function genExpr(depth: number): string {
  if (depth <= 0 || chance(0.25)) return pick(LEAVES)
  const sub = () => genExpr(depth - 1)
  switch (int(7)) {
    case 0:
      return `${sub()} ${pick(['AND', 'OR', 'and', 'or', '=', '!=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '||', '??'])} ${sub()}`
    case 1:
      return `${pick(['NOT ', 'not ', '-'])}${sub()}`
    case 2:
      return `(${sub()})`
    case 3:
      return `(${sub()} ${pick(['IN', 'NIN'])} [${Array.from({ length: int(3) }, sub).join(', ')}])`
    case 4: {
      const fn = pick(FUNCTION_NAMES)
      const arity = fn === 'CONCAT' ? 2 + int(3) : fn === 'SUBSTRING' ? 2 + int(2) : ['STARTSWITH', 'ENDSWITH', 'CONTAINS', 'INDEX_OF', 'POWER'].includes(fn) ? 2 : 1
      return `${chance(0.5) ? fn : fn.toLowerCase()}(${Array.from({ length: arity }, sub).join(', ')})`
    }
    case 5:
      return `${sub()} /* INTO ${pick(['', '*', '/'])} */`
    default:
      return pick(LEAVES)
  }
}

interface Generated {
  text: string
  source: string
  condition: string | undefined
  /** Offset of the condition in `text`. */
  conditionAt: number
  sink: RouteSink
}

function genRoute(): Generated {
  const source = genSource()
  const condition = chance(0.7) ? genExpr(4) : undefined
  const sink = genSink()
  const head = [
    chance(0.2) ? blank() : '',
    chance(0.3) ? `${anyCase('SELECT')}${blank()}*${blank()}` : '',
    `${anyCase('FROM')}${blank()}${source}${blank()}`,
    condition !== undefined ? `${anyCase('WHERE')}${blank()}` : '',
  ].join('')
  const tail = `${condition !== undefined ? blank() : ''}${anyCase('INTO')}${blank()}${sink.text}${chance(0.2) ? blank() : ''}`
  return { text: head + (condition ?? '') + tail, source, condition, conditionAt: condition === undefined ? -1 : head.length, sink: sink.sink }
}

function assertParsesAs(g: Generated, text = g.text, condition = g.condition): void {
  let r: Route
  try {
    r = parseRoute(text)
  } catch (err) {
    assert.fail(`${JSON.stringify(text)} did not parse: ${String(err)}`)
  }
  assert.equal(r.source, g.source, text)
  assert.equal(r.conditionText, condition, text)
  assert.deepEqual(r.sink, g.sink, text)
  for (const m of messages) matchRoutes([{ ...r, priority: 0 }], m)
}

// ---- properties ------------------------------------------------------------------------------------------------

test('random character strings only ever raise RouteParseError', () => {
  const alphabet = [...'FROMWHEREINTOSELECTfromwhereinto$upstream/messages/modules/outputs*"\'\\(){}[]<>=!|?.,;:#@+-%0123456789 \t\n', 'é', '😀', '\u0000', '/*', '*/', '0x', '1e', 'BrokeredEndpoint(', ' INTO ', ' WHERE ', ' FROM ']
  for (let i = 0; i < 4000; i++) {
    let s = ''
    for (let j = int(60); j > 0; j--) s += pick(alphabet)
    exercise(s)
  }
})

test('route token soup only ever raises RouteParseError', () => {
  const vocab = [
    'SELECT', '*', 'FROM', 'from', 'WHERE', 'INTO', 'into', '/*', '/messages/*', '/messages', '/messages/events', '/messages/modules/*', '/messages/modules/m/*',
    '/messages/modules/m/outputs/o', '/twinChangeNotifications', '/x', 'messages', '$upstream', '$downstream', 'BrokeredEndpoint', '(', ')',
    '"/modules/m/inputs/i"', "'/modules/m/inputs/i'", '"/modules/m/input/i"', '"modules//inputs"', 'a', '=', "'1'", 'AND', 'NOT',
    'IS_DEFINED($connectionModuleId)', '$body.a', '{$x}', '1', '0x', '1e', "'unterminated", '"', '/* c */', '/* open', '#', ',', 'AS_NUMBER(faceCount)', '>=',
  ]
  const soup = (n: number) => Array.from({ length: n }, () => pick(vocab)).join(chance(0.85) ? ' ' : '')
  let parsed = 0
  for (let i = 0; i < 5000; i++) {
    // Half free-form, half in the route's shape so that the later clauses get exercised too.
    const sources = ['/*', '/messages/*', '/messages/modules/m/*', '/twinChangeNotifications', '/x', 'messages', '/messages//m']
    const sinks = ['$upstream', '$downstream', 'BrokeredEndpoint("/modules/m/inputs/i")', "BrokeredEndpoint('/modules/m/input/i')", 'BrokeredEndpoint(', soup(2)]
    const text = chance(0.5) ? soup(1 + int(10)) : `FROM ${pick(sources)}${chance(0.5) ? ` WHERE ${soup(1 + int(4))}` : ''} INTO ${pick(sinks)}`
    if (exercise(text)) parsed++
  }
  assert.ok(parsed > 200, `only ${parsed} soups parsed: the vocabulary is not reaching the sink parser`)
})

test('generated valid routes always parse to what was generated', () => {
  for (let i = 0; i < 2500; i++) assertParsesAs(genRoute())
})

test('harmless rewrites of valid routes still parse to the same route', () => {
  for (let i = 0; i < 1500; i++) {
    const g = genRoute()
    // Blanks (also newlines) doubled everywhere they already are, outside the condition, sink and source.
    const spaced = g.text.replace(/^(\s*)/, '\n  $1').replace(/(\S)$/, '$1 \n')
    assertParsesAs(g, spaced)
    if (g.condition !== undefined) {
      const end = g.conditionAt + g.condition.length
      assertParsesAs(g, `${g.text.slice(0, g.conditionAt)}(${g.condition})${g.text.slice(end)}`, `(${g.condition})`)
      assertParsesAs(g, `${g.text.slice(0, g.conditionAt)}\n/* INTO */ ${g.condition}\n${g.text.slice(end)}`, `/* INTO */ ${g.condition}`)
    }
    assertParsesAs(g, g.text.replace(/^(\s*)(SELECT\s*\*\s*)?/i, '$1select * '))
  }
})

test("a broken condition fails as the query language says, shifted to the route's coordinates", () => {
  // Insertions that cannot open a string or comment (which would swallow INTO and change the error).
  const inserts = ['#', '(', ')', ',', '=', ']', '}', '[', '{', '!', '@', '-', '<', ' ', 'x', '1', 'AND', 'NOT', 'IN']
  const shift = (text: string, by: number) => text.replace(/position (\d+)/g, (_, n: string) => `position ${Number(n) + by}`)
  let broken = 0
  for (let i = 0; i < 2000; i++) {
    const g = genRoute()
    if (g.condition === undefined) continue
    const at = int(g.condition.length + 1)
    // Splitting a comment's '/*' or '*/' would turn its INTO into the keyword.
    if (['/*', '*/'].includes(g.condition.slice(at - 1, at + 1))) continue
    const condition = g.condition.slice(0, at) + pick(inserts) + g.condition.slice(at)
    // The insertion may also make a keyword (`intoX` → `into X`): a route's condition cannot contain INTO.
    if (findInto(condition, 0) >= 0) continue
    const text = g.text.slice(0, g.conditionAt) + condition + g.text.slice(g.conditionAt + g.condition.length)
    let expected: QueryParseError | undefined
    try {
      parseCondition(condition, { dialect: 'route' })
    } catch (err) {
      assert.ok(err instanceof QueryParseError)
      expected = err
    }
    if (!expected) {
      assertParsesAs(g, text, condition.trim())
      continue
    }
    broken++
    assert.throws(() => parseRoute(text), (err: unknown) => {
      assert.ok(err instanceof RouteParseError, String(err))
      assert.equal(err.clause, 'condition', `${err.message} in ${JSON.stringify(text)}`)
      // Where a bare condition must end, a route's condition must be followed by INTO.
      assert.equal(err.expected, expected.expected === 'end of input' ? 'INTO after the condition' : shift(expected.expected, g.conditionAt))
      if (expected.found === 'end of input') {
        // The condition ends at INTO: the route names it.
        assert.match(err.found, /^'into'$/i)
        assert.equal(text.slice(err.position, err.position + 4).toUpperCase(), 'INTO')
      } else {
        assert.equal(err.found, expected.found)
        assert.equal(err.position, g.conditionAt + expected.position)
      }
      return true
    })
  }
  assert.ok(broken > 300, `only ${broken} conditions broke`)
})

test('mutated valid routes only ever raise RouteParseError', () => {
  const samples = [
    'FROM /messages/modules/SimulatedTemperatureSensor/outputs/temperatureOutput INTO BrokeredEndpoint("/modules/filtermodule/inputs/input1")',
    'FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream',
    'FROM /messages/modules/camera/outputs/frames INTO BrokeredEndpoint("/modules/face-detector/inputs/frames")',
    'FROM /messages/modules/face-detector/outputs/frames WHERE AS_NUMBER(faceCount) >= 1 INTO $upstream',
  ]
  const inserts = [...' \n*/()"\'\\$.{}[]#=', 'INTO', ' INTO ', 'WHERE ', '/*', '*/', '0x', "'", '"']
  let parsed = 0
  for (let i = 0; i < 6000; i++) {
    let s = chance(0.3) ? pick(samples) : genRoute().text
    for (let k = 1 + int(3); k > 0; k--) {
      const at = int(s.length + 1)
      switch (int(6)) {
        case 0: // delete a run
          s = s.slice(0, at) + s.slice(at + 1 + int(4))
          break
        case 1: // insert
          s = s.slice(0, at) + pick(inserts) + s.slice(at)
          break
        case 2: // replace a character
          s = s.slice(0, at) + pick(inserts) + s.slice(at + 1)
          break
        case 3: // truncate
          s = s.slice(0, at)
          break
        case 4: // duplicate a slice
          s = s.slice(0, at) + s.slice(int(s.length), int(s.length)) + s.slice(at)
          break
        default: {
          // swap two words
          const words = s.split(' ')
          const [x, y] = [int(words.length), int(words.length)]
          ;[words[x], words[y]] = [words[y]!, words[x]!]
          s = words.join(' ')
        }
      }
    }
    if (exercise(s)) parsed++
  }
  assert.ok(parsed > 100, `only ${parsed} mutants parsed`)
})

test('parseEdgeHubRoutes never throws, whatever the JSON', () => {
  const values: unknown[] = [null, true, 0, -1, 1.5, 10, '', '1.0', '1.1', 'x', [], {}, 'FROM /messages/* INTO $upstream', 'FROM', { route: 'FROM /* INTO $upstream' }]
  const value = (depth: number): unknown => {
    if (depth <= 0 || chance(0.5)) return chance(0.3) ? genRoute().text : pick(values)
    if (chance(0.3)) return Array.from({ length: int(3) }, () => value(depth - 1))
    const keys = ['schemaVersion', 'routes', 'storeAndForwardConfiguration', 'timeToLiveSecs', 'route', 'priority', '$version', '$metadata', 'r1', 'r2', 'mqttBroker']
    return Object.fromEntries(Array.from({ length: int(5) }, () => [pick(keys), value(depth - 1)]))
  }
  for (let i = 0; i < 3000; i++) {
    const r = parseEdgeHubRoutes(chance(0.5) ? { schemaVersion: pick(['1.0', '1.1', '1.3', '2']), routes: value(2), storeAndForwardConfiguration: value(1) } : value(3))
    for (const e of r.errors) assert.ok(typeof e.name === 'string' && typeof e.message === 'string' && e.message.length > 0)
    assert.ok(Number.isInteger(r.storeAndForward.timeToLiveSecs))
    for (const route of r.routes) assert.ok(route.priority === 2_000_000_000 || (route.priority >= 0 && route.priority <= 9))
  }
})
