import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseEdgeHubRoutes } from './edgehub-routes.js'
import { DEFAULT_ROUTE_PRIORITY, DEFAULT_TIME_TO_LIVE_SECS } from './route.js'

const UP = 'FROM /messages/* INTO $upstream'
const TO_FILTER = 'FROM /messages/modules/sensor/outputs/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")'

/** Name, priority and TTL of each route, in order. */
const summary = (desired: unknown) => {
  const r = parseEdgeHubRoutes(desired)
  return { ...r, routes: r.routes.map((x) => [x.name, x.priority, x.timeToLiveSecs] as const) }
}

describe('parseEdgeHubRoutes', () => {
  test('schema 1.0: routes are strings, with the default priority; twin metadata is ignored', () => {
    const r = parseEdgeHubRoutes({
      schemaVersion: '1.0',
      routes: { up: UP, filter: TO_FILTER, $metadata: { $lastUpdated: 'x' } },
      storeAndForwardConfiguration: { timeToLiveSecs: 3600, $metadata: {} },
      $version: 12,
      $metadata: { $lastUpdated: '2024-01-01T00:00:00Z' },
    })
    assert.deepEqual(r.errors, [])
    assert.equal(r.schemaVersion, '1.0')
    assert.deepEqual(r.storeAndForward, { timeToLiveSecs: 3600 })
    assert.deepEqual(r.routes.map((x) => [x.name, x.priority, x.timeToLiveSecs, x.text, x.source]), [
      ['up', DEFAULT_ROUTE_PRIORITY, undefined, UP, '/messages/*'],
      ['filter', DEFAULT_ROUTE_PRIORITY, undefined, TO_FILTER, '/messages/modules/sensor/outputs/*'],
    ])
    assert.deepEqual(r.routes[1]!.sink, { kind: 'module', module: 'filter', input: 'in1' })
    assert.equal(DEFAULT_ROUTE_PRIORITY, 2_000_000_000)
  })

  test('schema 1.1: strings or {route, priority, timeToLiveSecs}; 0 and absent mean the defaults', () => {
    assert.deepEqual(
      summary({
        schemaVersion: '1.1',
        routes: {
          plain: UP,
          p0: { route: UP, priority: 0, timeToLiveSecs: 60 },
          p9: { route: UP, priority: 9 },
          ttl0: { route: UP, timeToLiveSecs: 0 },
          nulls: { route: UP, priority: null, timeToLiveSecs: null },
          meta: { route: UP, priority: 3, $metadata: {} },
          deleted: null,
        },
      }),
      {
        schemaVersion: '1.1',
        routes: [['plain', DEFAULT_ROUTE_PRIORITY, undefined], ['p0', 0, 60], ['p9', 9, undefined], ['ttl0', DEFAULT_ROUTE_PRIORITY, undefined], ['nulls', DEFAULT_ROUTE_PRIORITY, undefined], ['meta', 3, undefined]],
        errors: [],
        storeAndForward: { timeToLiveSecs: DEFAULT_TIME_TO_LIVE_SECS },
      },
    )
  })

  test('1.2 and 1.3 route as 1.1; their mqttBroker and integrity are not errors', () => {
    for (const schemaVersion of ['1.2', '1.3']) {
      const r = summary({ schemaVersion, routes: { a: { route: UP, priority: 2 } }, mqttBroker: {}, integrity: {}, storeAndForwardConfiguration: { timeToLiveSecs: 10, storeLimits: { maxSizeBytes: 1 } } })
      assert.deepEqual(r, { schemaVersion, routes: [['a', 2, undefined]], errors: [], storeAndForward: { timeToLiveSecs: 10 } })
    }
  })

  test('no routes, or no store-and-forward section: defaults', () => {
    assert.deepEqual(parseEdgeHubRoutes({ schemaVersion: '1.1' }), { schemaVersion: '1.1', routes: [], errors: [], storeAndForward: { timeToLiveSecs: 7200 } })
    assert.deepEqual(parseEdgeHubRoutes({ schemaVersion: '1.0', routes: {}, storeAndForwardConfiguration: {} }).storeAndForward, { timeToLiveSecs: 7200 })
    assert.deepEqual(parseEdgeHubRoutes({ schemaVersion: '1.0', routes: null }).routes, [])
  })

  test('a route that does not parse is reported by name; the others still apply', () => {
    const r = summary({ schemaVersion: '1.1', routes: { good: UP, bad: 'FROM /messages/* INTO $downstream', empty: '', alsoGood: { route: TO_FILTER, priority: 1 } } })
    assert.deepEqual(r.routes, [['good', DEFAULT_ROUTE_PRIORITY, undefined], ['alsoGood', 1, undefined]])
    assert.deepEqual(r.errors, [
      { name: 'bad', message: 'at position 22: expected a sink: $upstream or BrokeredEndpoint("/modules/{module}/inputs/{input}") but found \'$downstream\'' },
      { name: 'empty', message: 'at position 0: expected FROM at the start of the route ([SELECT *] FROM <source> [WHERE <condition>] INTO <sink>) but found end of input' },
    ])
  })

  // Every error: [desired, errors, names of the routes that still apply, TTL]
  const cases: [what: string, desired: unknown, errors: [string, string][], routes: string[], ttl?: number][] = [
    ['not an object', 'routes', [['$edgeHub', 'the desired properties must be an object, not "routes"']], []],
    ['null', null, [['$edgeHub', 'the desired properties must be an object, not null']], []],
    ['an array', [UP], [['$edgeHub', 'the desired properties must be an object, not an array']], []],
    ['no schemaVersion', { routes: { a: UP } }, [['schemaVersion', 'schemaVersion is missing; expected one of "1.0", "1.1", "1.2", "1.3"']], []],
    ['unknown schemaVersion', { schemaVersion: '2.0', routes: { a: UP } }, [['schemaVersion', 'schemaVersion "2.0" is not supported; expected one of "1.0", "1.1", "1.2", "1.3"']], []],
    ['numeric schemaVersion', { schemaVersion: 1.1, routes: { a: UP } }, [['schemaVersion', 'schemaVersion 1.1 is not supported; expected one of "1.0", "1.1", "1.2", "1.3"']], []],
    ['unknown top-level property', { schemaVersion: '1.1', rotues: { a: UP }, routes: { b: UP } },
      [['rotues', 'unknown property; expected schemaVersion, routes, storeAndForwardConfiguration, mqttBroker, integrity']], ['b']],
    ['routes not an object', { schemaVersion: '1.1', routes: [UP] }, [['routes', 'routes must be an object of named routes, not an array']], []],
    ['routes a string', { schemaVersion: '1.1', routes: UP }, [['routes', `routes must be an object of named routes, not "${UP}"`]], []],
    ['1.0 object route', { schemaVersion: '1.0', routes: { a: { route: UP }, b: UP } }, [['a', 'a schema 1.0 route must be a string, not an object']], ['b']],
    ['route of another type', { schemaVersion: '1.1', routes: { a: 42, b: [UP], c: true } }, [
      ['a', 'a route must be a string or an object { route, priority, timeToLiveSecs }, not 42'],
      ['b', 'a route must be a string or an object { route, priority, timeToLiveSecs }, not an array'],
      ['c', 'a route must be a string or an object { route, priority, timeToLiveSecs }, not true'],
    ], []],
    ['route object without route', { schemaVersion: '1.1', routes: { a: { priority: 1 } } }, [['a', '"route" must be the route text, not undefined']], []],
    ['unknown route property', { schemaVersion: '1.1', routes: { a: { route: UP, priorty: 1 }, b: { route: UP, x: 1, y: 2 } } }, [
      ['a', 'unknown route property "priorty"; expected route, priority, timeToLiveSecs'],
      ['b', 'unknown route properties "x", "y"; expected route, priority, timeToLiveSecs'],
    ], []],
    ['priority out of range', { schemaVersion: '1.1', routes: { a: { route: UP, priority: 10 }, b: { route: UP, priority: -1 }, c: { route: UP, priority: 1.5 }, d: { route: UP, priority: '1' } } }, [
      ['a', 'priority must be an integer from 0 (highest) to 9 (lowest), not 10'],
      ['b', 'priority must be an integer from 0 (highest) to 9 (lowest), not -1'],
      ['c', 'priority must be an integer from 0 (highest) to 9 (lowest), not 1.5'],
      ['d', 'priority must be an integer from 0 (highest) to 9 (lowest), not "1"'],
    ], []],
    ['bad route TTL', { schemaVersion: '1.1', routes: { a: { route: UP, timeToLiveSecs: -5 }, b: { route: UP, timeToLiveSecs: 'long' } } }, [
      ['a', 'timeToLiveSecs must be a whole number of seconds (0: the store-and-forward default), not -5'],
      ['b', 'timeToLiveSecs must be a whole number of seconds (0: the store-and-forward default), not "long"'],
    ], []],
    ['store-and-forward not an object', { schemaVersion: '1.1', routes: { a: UP }, storeAndForwardConfiguration: 60 },
      [['storeAndForwardConfiguration', 'must be an object { timeToLiveSecs }, not 60; using 7200']], ['a'], 7200],
    ['bad store-and-forward TTL', { schemaVersion: '1.1', routes: { a: UP }, storeAndForwardConfiguration: { timeToLiveSecs: 1.5 } },
      [['storeAndForwardConfiguration.timeToLiveSecs', 'must be a whole number of seconds, not 1.5; using 7200']], ['a'], 7200],
    ['store-and-forward TTL 0', { schemaVersion: '1.1', storeAndForwardConfiguration: { timeToLiveSecs: 0 } }, [], [], 0],
  ]
  for (const [what, desired, errors, routes, ttl] of cases) {
    test(what, () => {
      const r = parseEdgeHubRoutes(desired)
      assert.deepEqual(r.errors, errors.map(([name, message]) => ({ name, message })))
      assert.deepEqual(r.routes.map((x) => x.name), routes)
      assert.equal(r.storeAndForward.timeToLiveSecs, ttl ?? 7200)
    })
  }

  test('when the schema is missing or unsupported nothing is applied', () => {
    const r = parseEdgeHubRoutes({ schemaVersion: '3.0', routes: { a: UP }, storeAndForwardConfiguration: { timeToLiveSecs: 5 } })
    assert.equal(r.schemaVersion, undefined)
    assert.deepEqual(r.routes, [])
    assert.equal(r.storeAndForward.timeToLiveSecs, 7200)
  })
})
