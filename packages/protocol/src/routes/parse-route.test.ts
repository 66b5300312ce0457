import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { QueryParseError } from '../query/errors.js'
import { RouteParseError, type RouteClause } from './errors.js'
import { parseRoute } from './parse-route.js'
import type { RouteSink } from './route.js'
import { formatSink, sinkId } from './sink.js'

const UP: RouteSink = { kind: 'upstream' }
const mod = (module: string, input: string): RouteSink => ({ kind: 'module', module, input })

describe('parseRoute: valid routes', () => {
  const cases: [text: string, source: string, condition: string | undefined, sink: RouteSink][] = [
    // Azure samples
    ['FROM /messages/modules/SimulatedTemperatureSensor/outputs/temperatureOutput INTO BrokeredEndpoint("/modules/filtermodule/inputs/input1")',
      '/messages/modules/SimulatedTemperatureSensor/outputs/temperatureOutput', undefined, mod('filtermodule', 'input1')],
    ['FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream', '/messages/*', 'NOT IS_DEFINED($connectionModuleId)', UP],
    ['FROM /messages/modules/camera/outputs/frames INTO BrokeredEndpoint("/modules/face-detector/inputs/frames")',
      '/messages/modules/camera/outputs/frames', undefined, mod('face-detector', 'frames')],
    ['FROM /messages/modules/face-detector/outputs/frames WHERE AS_NUMBER(faceCount) >= 1 INTO $upstream',
      '/messages/modules/face-detector/outputs/frames', 'AS_NUMBER(faceCount) >= 1', UP],
    ['SELECT * FROM /messages/modules/filtermodule/outputs/output1 INTO $upstream', '/messages/modules/filtermodule/outputs/output1', undefined, UP],
    // every documented source shape, and Ledge's /messages/events
    ['FROM /* INTO $upstream', '/*', undefined, UP],
    ['FROM / INTO $upstream', '/', undefined, UP],
    ['FROM /messages INTO $upstream', '/messages', undefined, UP],
    ['FROM /messages/ INTO $upstream', '/messages/', undefined, UP],
    ['FROM /messages/events INTO $upstream', '/messages/events', undefined, UP],
    ['FROM /messages/modules/* INTO $upstream', '/messages/modules/*', undefined, UP],
    ['FROM /messages/modules/m1/* INTO $upstream', '/messages/modules/m1/*', undefined, UP],
    ['FROM /messages/modules/m1/outputs/* INTO $upstream', '/messages/modules/m1/outputs/*', undefined, UP],
    ['FROM /messages/modules/m1/outputs/o1/* INTO $upstream', '/messages/modules/m1/outputs/o1/*', undefined, UP],
    ['FROM /twinChangeNotifications INTO $upstream', '/twinChangeNotifications', undefined, UP],
    ['FROM /TwinChangeNotifications/* INTO $upstream', '/TwinChangeNotifications/*', undefined, UP],
    ['FROM /Messages/Modules/Cam.v2_x-1/Outputs/o INTO $upstream', '/Messages/Modules/Cam.v2_x-1/Outputs/o', undefined, UP],
    // keywords in any case, whitespace and newlines between clauses
    ['select * from /messages/* where true into $UPSTREAM', '/messages/*', 'true', UP],
    ['SeLeCt*FrOm /messages/* WhErE(a = \'1\')InTo $Upstream', '/messages/*', "(a = '1')", UP],
    ['\n  FROM\t/messages/*\r\n  WHERE\n    a = \'x\'\n    AND b = \'y\'\n  INTO\n    $upstream\n', '/messages/*', "a = 'x'\n    AND b = 'y'", UP],
    ['FROM /messages/* INTO brokeredendpoint ( \'/modules/m/inputs/i\' )', '/messages/*', undefined, mod('m', 'i')],
    ['FROM /messages/* INTO BrokeredEndpoint("/MODULES/m/INPUTS/i")', '/messages/*', undefined, mod('m', 'i')],
    ['FROM /messages/* INTO BrokeredEndpoint("\\/modules\\/m\\/inputs\\/i")', '/messages/*', undefined, mod('m', 'i')],
    ['FROM /messages/* INTO BrokeredEndpoint("/modules/m.1_x-y/inputs/in:put$")', '/messages/*', undefined, mod('m.1_x-y', 'in:put$')],
    ['FROM /messages/* INTO /* the cloud */ $upstream /* done */', '/messages/*', undefined, UP],
    // INTO inside strings, comments, longer identifiers or after '.' does not end the condition
    ["FROM /messages/* WHERE $body.into = 'INTO' /* INTO */ AND intoX = \"x INTO y\" AND {$into} = 'a''INTO' INTO $upstream",
      '/messages/*', "$body.into = 'INTO' /* INTO */ AND intoX = \"x INTO y\" AND {$into} = 'a''INTO'", UP],
    ['FROM /messages/* WHERE a.into = \'1\' INTO $upstream', '/messages/*', "a.into = '1'", UP],
    ['FROM /messages/* WHERE 0x1F = 31 AND 1e3 = 1000 AND .5 < 1INTO $upstream', '/messages/*', '0x1F = 31 AND 1e3 = 1000 AND .5 < 1', UP],
    ['FROM /messages/* WHERE $connectionDeviceId = \'dev\' into BrokeredEndpoint("/modules/into/inputs/into")', '/messages/*', "$connectionDeviceId = 'dev'", mod('into', 'into')],
  ]
  for (const [text, source, condition, sink] of cases) {
    test(JSON.stringify(text), () => {
      const r = parseRoute(text)
      assert.equal(r.source, source)
      assert.equal(r.conditionText, condition)
      assert.equal(r.condition === undefined, condition === undefined)
      assert.deepEqual(r.sink, sink)
    })
  }

  test('sink ids and formatting', () => {
    assert.equal(sinkId(UP), '$upstream')
    assert.equal(sinkId(mod('m', 'i')), '/modules/m/inputs/i')
    assert.equal(formatSink(mod('m', 'i')), 'BrokeredEndpoint("/modules/m/inputs/i")')
    assert.deepEqual(parseRoute(`FROM /messages/* INTO ${formatSink(mod('a-b', 'c'))}`).sink, mod('a-b', 'c'))
  })
})

const SINK = 'a sink: $upstream or BrokeredEndpoint("/modules/{module}/inputs/{input}")'
const PATH = '/modules/{module}/inputs/{input}'
const NAME_CHARS = "'#', '+', spaces or control characters"
const SEGMENT_CHARS = 'a segment without ( ) < > @ , ; : \\ " \' [ ] ? = { } or control characters'
const PREFIX = '(a source is a prefix, not a pattern)'

/**
 * Every error the route layer produces, and condition errors shifted into route coordinates. `at` is the error
 * position, or a substring whose first occurrence (after the first `from` characters) is the position.
 */
const errors: [text: string, at: number | string, clause: RouteClause, expected: string, found: string][] = [
  // the clauses
  ['', 0, 'route', 'FROM at the start of the route ([SELECT *] FROM <source> [WHERE <condition>] INTO <sink>)', 'end of input'],
  ['   ', 3, 'route', 'FROM at the start of the route ([SELECT *] FROM <source> [WHERE <condition>] INTO <sink>)', 'end of input'],
  ['TO /messages/* INTO $upstream', 0, 'route', 'FROM at the start of the route ([SELECT *] FROM <source> [WHERE <condition>] INTO <sink>)', "'TO'"],
  ['FROMAGE /messages/* INTO $upstream', 0, 'route', 'FROM at the start of the route ([SELECT *] FROM <source> [WHERE <condition>] INTO <sink>)', "'FROMAGE'"],
  ['SELECT FROM /messages/* INTO $upstream', 'FROM', 'route', "'*' after SELECT (a route always selects the whole message)", "'FROM'"],
  ['SELECT a FROM /messages/* INTO $upstream', 'a', 'route', "'*' after SELECT (a route always selects the whole message)", "'a'"],
  ['SELECT * /messages/* INTO $upstream', '/', 'route', 'FROM after SELECT *', "'/messages/*'"],
  ['SELECT *', 8, 'route', 'FROM after SELECT *', 'end of input'],
  ['FROM', 4, 'source', 'a source path such as /messages/* after FROM', 'end of input'],
  ['FROM   \n', 8, 'source', 'a source path such as /messages/* after FROM', 'end of input'],
  ['FROM /messages/*', 16, 'route', 'WHERE or INTO after the source', 'end of input'],
  ['FROM /messages/* $upstream', '$', 'route', 'WHERE or INTO after the source', "'$upstream'"],
  ['FROM /messages/* WHEN a INTO $upstream', 'WHEN', 'route', 'WHERE or INTO after the source', "'WHEN'"],
  ['FROM /messages/* WHERE', 22, 'condition', 'a condition after WHERE', 'end of input'],
  ['FROM /messages/* WHERE INTO $upstream', 'INTO', 'condition', 'a condition after WHERE', "'INTO'"],
  ['FROM /messages/* WHERE \n into $upstream', 'into', 'condition', 'a condition after WHERE', "'into'"],
  ["FROM /messages/* WHERE a = '1'", 30, 'route', 'INTO after the condition', 'end of input'],
  ["FROM /messages/* WHERE a = '1' b INTO $upstream", 'b', 'condition', 'INTO after the condition', "'b'"],
  ["FROM /messages/* WHERE a = '1' $upstream", '$', 'condition', 'INTO after the condition', "'$upstream'"],
  ['FROM /messages/* INTO $upstream INTO $upstream', 32, 'sink', 'end of the route after the sink', "'INTO'"],
  ["FROM /messages/* INTO $upstream WHERE a = '1'", 'WHERE', 'sink', 'end of the route after the sink', "'WHERE'"],
  // the source
  ['FROM messages/* INTO $upstream', 'messages', 'source', "a source path starting with '/', such as /messages/*", "'messages/*'"],
  ['FROM $upstream INTO $upstream', '$', 'source', "a source path starting with '/', such as /messages/*", "'$upstream'"],
  ['FROM /message/* INTO $upstream', 'message', 'source', "'messages', 'twinChangeNotifications' or '*' after '/'", "'message'"],
  ['FROM /devices/d1/messages/* INTO $upstream', 'devices', 'source', "'messages', 'twinChangeNotifications' or '*' after '/'", "'devices'"],
  ['FROM /messages/module/* INTO $upstream', 'module', 'source', "'modules', 'events' or '*' after '/messages/'", "'module'"],
  ['FROM /messages/events/x INTO $upstream', 'x', 'source', "end of the source after '/messages/events'", "'x'"],
  ['FROM /messages/modules/m/output/o INTO $upstream', 'output', 'source', "'outputs' or '*' after the module name", "'output'"],
  ['FROM /messages/modules/m/inputs/* INTO $upstream', 'inputs', 'source', "'outputs' or '*' after the module name", "'inputs'"],
  ['FROM /messages/modules/m/outputs/o/x INTO $upstream', 'x', 'source', 'end of the source after the output name', "'x'"],
  ['FROM /twinChangeNotifications/x INTO $upstream', 'x', 'source', "end of the source after '/twinChangeNotifications'", "'x'"],
  ['FROM /messages/*/outputs INTO $upstream', '*', 'source', `'*' only as the last segment ${PREFIX}`, "'*/outputs'"],
  ['FROM /*/* INTO $upstream', '*', 'source', `'*' only as the last segment ${PREFIX}`, "'*/*'"],
  ['FROM /messages/modules/cam* INTO $upstream', '*', 'source', `'*' only as a whole segment at the end of the source ${PREFIX}`, "'cam*'"],
  ['FROM /messages/** INTO $upstream', '*', 'source', `'*' only as a whole segment at the end of the source ${PREFIX}`, "'**'"],
  ['FROM /messages//modules INTO $upstream', '/modules', 'source', "a path segment after '/messages/'", "'/'"],
  ['FROM // INTO $upstream', 6, 'source', "a path segment after '/'", "'/'"],
  ['FROM /messages/modules/(m)/* INTO $upstream', '(', 'source', SEGMENT_CHARS, "'('"],
  ['FROM /messages/modules/m"/* INTO $upstream', '"', 'source', SEGMENT_CHARS, '\'"\''],
  ['FROM /messages/*WHERE a INTO $upstream', '*', 'source', `'*' only as a whole segment at the end of the source ${PREFIX}`, "'*WHERE'"],
  // the sink
  ['FROM /messages/* INTO', 21, 'sink', SINK, 'end of input'],
  ['FROM /messages/* INTO $downstream', '$', 'sink', SINK, "'$downstream'"],
  ['FROM /messages/* INTO upstream', 'upstream', 'sink', SINK, "'upstream'"],
  ['FROM /messages/* INTO ModuleEndpoint("/modules/m/inputs/i")', 'Module', 'sink', SINK, "'ModuleEndpoint'"],
  ['FROM /messages/* INTO "/modules/m/inputs/i"', '"', 'sink', SINK, 'string "/modules/m/inputs/i"'],
  ['FROM /messages/* INTO BrokeredEndpoint', 38, 'sink', "'(' after BrokeredEndpoint", 'end of input'],
  ['FROM /messages/* INTO BrokeredEndpoint["/modules/m/inputs/i"]', '[', 'sink', "'(' after BrokeredEndpoint", "'['"],
  ['FROM /messages/* INTO BrokeredEndpoint(/modules/m/inputs/i)', 39, 'sink', 'a quoted endpoint path such as "/modules/{module}/inputs/{input}"', "'/'"],
  ['FROM /messages/* INTO BrokeredEndpoint()', ')', 'sink', 'a quoted endpoint path such as "/modules/{module}/inputs/{input}"', "')'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/i"', 60, 'sink', "')' after the endpoint path", 'end of input'],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/i", "x")', ',', 'sink', "')' after the endpoint path", "','"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/i") x', 'x', 'sink', 'end of the route after the sink', "'x'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/i', 59, 'sink', 'a closing double quote (") for the string started at position 39', 'end of input'],
  ['FROM /messages/* INTO BrokeredEndpoint("modules/m/inputs/i")', 'modules', 'sink', `'/' at the start of the endpoint path ${PATH}`, "'modules'"],
  ['FROM /messages/* INTO BrokeredEndpoint("")', 40, 'sink', `'/' at the start of the endpoint path ${PATH}`, 'end of the path'],
  ['FROM /messages/* INTO BrokeredEndpoint("/module/m/inputs/i")', 'module', 'sink', `'modules' in the endpoint path ${PATH}`, "'module'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/")', 41, 'sink', `'modules' in the endpoint path ${PATH}`, 'end of the path'],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules")', 48, 'sink', `a module name in the endpoint path ${PATH}`, 'end of the path'],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules//inputs/i")', '/inputs', 'sink', `a module name in the endpoint path ${PATH}`, "'/'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m 1/inputs/i")', ' 1', 'sink', `a module name without ${NAME_CHARS} in the endpoint path ${PATH}`, "' '"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m#/inputs/i")', '#', 'sink', `a module name without ${NAME_CHARS} in the endpoint path ${PATH}`, "'#'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/input/i")', 'input', 'sink', `'inputs' in the endpoint path ${PATH}`, "'input'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/outputs/i")', 'outputs', 'sink', `'inputs' in the endpoint path ${PATH}`, "'outputs'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m")', 50, 'sink', `'inputs' in the endpoint path ${PATH}`, 'end of the path'],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs")', 57, 'sink', `an input name in the endpoint path ${PATH}`, 'end of the path'],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/")', 58, 'sink', `an input name in the endpoint path ${PATH}`, 'end of the path'],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/in+")', '+', 'sink', `an input name without ${NAME_CHARS} in the endpoint path ${PATH}`, "'+'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/i/")', '/")', 'sink', `nothing after the input name in the endpoint path ${PATH}`, "'/'"],
  ['FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/i/j/k")', '/j', 'sink', `nothing after the input name in the endpoint path ${PATH}`, "'/j/k'"],
  // with escapes in the path, errors point at the opening quote
  ['FROM /messages/* INTO BrokeredEndpoint("\\/modules/m/input/i")', '"', 'sink', `'inputs' in the endpoint path ${PATH}`, "'input'"],
  // the condition: the query language's errors, positions (also those inside messages) in route coordinates
  ['FROM /messages/* WHERE a = INTO $upstream', 'INTO', 'condition', 'an expression', "'INTO'"],
  ['FROM /messages/* WHERE (a = \'1\' INTO $upstream', 'INTO', 'condition', "')' to close the '(' at position 23", "'INTO'"],
  ['FROM /messages/* WHERE {$body.a INTO $upstream', 'INTO', 'condition', "'}' to close the '{' at position 23", "'INTO'"],
  ['FROM /messages/* WHERE a = \'x INTO $upstream', 44, 'condition', 'a closing quote (\') for the string started at position 27', 'end of input'],
  ['FROM /messages/* WHERE a = /* x INTO $upstream', 46, 'condition', "'*/' to close the comment started at position 27", 'end of input'],
  ["FROM /messages/* WHERE a = 'x\\q' INTO $upstream", '\\q', 'condition', "an escape sequence (\\' \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", "'\\q'"],
  ['FROM /messages/* WHERE a = 0x INTO $upstream', 29, 'condition', "hex digits after '0x'", "' '"],
  ['FROM /messages/* WHERE a = 1e INTO $upstream', 29, 'condition', 'digits in the exponent', "' '"],
  ['FROM /messages/* WHERE a = 1e999 INTO $upstream', '1e', 'condition', 'a number within the range of a double', "'1e999'"],
  ['FROM /messages/* WHERE a = # INTO $upstream', '#', 'condition', 'an expression', "'#'"],
  ['FROM /messages/* WHERE foo(a) INTO $upstream', 'foo', 'condition', 'a known function', "'foo'"],
  ['FROM /messages/* WHERE COUNT() > 1 INTO $upstream', 'COUNT', 'condition', 'a scalar function (aggregates such as COUNT are only allowed in SELECT)', "'COUNT'"],
  ['FROM /messages/* WHERE IS_DEFINED(a, b) INTO $upstream', 'IS_', 'condition', '1 argument to IS_DEFINED', '2'],
  ['FROM /messages/* WHERE upper(a INTO $upstream', 'INTO', 'condition', "')' after function arguments", "'INTO'"],
  ["FROM /messages/* WHERE a IN 'x' INTO $upstream", "'x'", 'condition', "'[' after IN", "string 'x'"],
  ['FROM /messages/* WHERE $ = 1 INTO $upstream', '$ =', 'condition', "a property name after '$'", "'$'"],
  ['FROM /messages/* WHERE a. = 1 INTO $upstream', '= 1', 'condition', "a property name after '.'", "'='"],
  ['FROM /messages/* WHERE $body[x] = 1 INTO $upstream', 'x]', 'condition', "an array index or a quoted property name after '['", "'x'"],
  ['FROM /messages/* WHERE {a} = 1 INTO $upstream', 'a}', 'condition', "a $-property such as $contentType after '{'", "'a'"],
  ['FROM /messages/* WHERE a AND INTO $upstream', 'INTO', 'condition', 'an expression', "'INTO'"],
]

function position(text: string, at: number | string): number {
  if (typeof at === 'number') return at
  const i = text.indexOf(at, text.indexOf(' ') + 1)
  assert.ok(i >= 0, `marker ${JSON.stringify(at)} not in ${JSON.stringify(text)}`)
  return i
}

describe('parseRoute: every error, with its position in the whole route', () => {
  for (const [text, at, clause, expected, found] of errors) {
    test(JSON.stringify(text), () => {
      const pos = position(text, at)
      assert.throws(() => parseRoute(text), (err: unknown) => {
        assert.ok(err instanceof RouteParseError, `not a RouteParseError: ${String(err)}`)
        assert.ok(err instanceof QueryParseError)
        assert.equal(err.name, 'RouteParseError')
        assert.equal(err.message, `at position ${pos}: expected ${expected} but found ${found}`)
        assert.equal(err.position, pos)
        assert.equal(err.expected, expected)
        assert.equal(err.found, found)
        assert.equal(err.clause, clause)
        return true
      })
    })
  }
})
