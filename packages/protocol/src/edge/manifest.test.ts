import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_STARTUP_ORDER, joinCreateOptions, parseAgentDesired, parseEdgeHubDesired, validateDeploymentManifest } from './manifest.js'

const AGENT = 'modulesContent.$edgeAgent.properties.desired'

function agentDesired(schemaVersion = '1.1'): Record<string, unknown> {
  return {
    schemaVersion,
    runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', loggingOptions: '', registryCredentials: { acr: { username: 'u', password: 'p', address: 'r.azurecr.io' } } } },
    systemModules: {
      edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: '{}' } },
      edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: '{"HostConfig":{"PortBindings":{"8883/tcp":[{"HostPort":"8883"}]}}}' } },
    },
    modules: {
      camera: { version: '1.0', type: 'process', status: 'running', restartPolicy: 'on-failure', settings: { command: 'node', args: ['camera.js'], stopGraceSeconds: 5 }, env: { FPS: { value: '5' }, DEBUG: { value: true } } },
      sensor: { version: '1.0', type: 'docker', status: 'stopped', restartPolicy: 'always', imagePullPolicy: 'never', settings: { image: 'sensor:1', createOptions: '{"Env":', createOptions01: '["A=1"]', createOptions02: '}' } },
    },
  }
}

function deployment(agent: unknown = agentDesired(), hub: unknown = { schemaVersion: '1.1', routes: { up: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } }) {
  return { modulesContent: { $edgeAgent: { 'properties.desired': agent }, $edgeHub: { 'properties.desired': hub }, camera: { 'properties.desired': { fps: 5 } } } }
}

function problemsOf(json: unknown): string[] {
  const r = validateDeploymentManifest(json)
  assert.equal(r.ok, false, 'expected problems')
  return r.ok ? [] : r.problems
}

test('a valid 1.1 deployment parses; env values become text; createOptions parts join', () => {
  const r = validateDeploymentManifest(deployment())
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'))
  const agent = r.value.modulesContent.$edgeAgent['properties.desired']
  assert.equal(agent.schemaVersion, '1.1')
  assert.deepEqual(agent.modules.camera!.env, { FPS: { value: '5' }, DEBUG: { value: 'true' } })
  assert.equal(joinCreateOptions(agent.modules.sensor!.settings), '{"Env":["A=1"]}')
  assert.equal(agent.runtime.settings?.registryCredentials?.acr?.address, 'r.azurecr.io')
  const hub = r.value.modulesContent.$edgeHub['properties.desired']
  assert.deepEqual(hub.routes, { up: { route: 'FROM /messages/* INTO $upstream' } })
  assert.deepEqual(r.value.modulesContent.camera!['properties.desired'], { fps: 5 })
})

test('schema 1.0 is accepted without startupOrder; 1.1 takes startupOrder 0…4294967295', () => {
  assert.ok(parseAgentDesired(agentDesired('1.0')).ok)
  assert.ok(parseAgentDesired(agentDesired('1.1.0')).ok)
  const with10 = agentDesired('1.0')
  ;(with10.modules as Record<string, Record<string, unknown>>).camera!.startupOrder = 1
  const r10 = parseAgentDesired(with10)
  assert.equal(r10.ok, false)
  assert.deepEqual(!r10.ok && r10.problems, ['modules.camera.startupOrder: startupOrder needs schemaVersion 1.1'])
  const with11 = agentDesired('1.1')
  ;(with11.modules as Record<string, Record<string, unknown>>).camera!.startupOrder = DEFAULT_STARTUP_ORDER
  ;(with11.systemModules as Record<string, Record<string, unknown>>).edgeHub!.startupOrder = 0
  assert.ok(parseAgentDesired(with11).ok)
  ;(with11.modules as Record<string, Record<string, unknown>>).camera!.startupOrder = -1
  assert.equal(parseAgentDesired(with11).ok, false)
})

test('twin metadata ($version, $metadata) is tolerated and the version is kept', () => {
  const desired = { ...agentDesired(), $version: 7, $metadata: { $lastUpdated: '2024-01-01T00:00:00Z', modules: { $lastUpdated: 'x' } } }
  const r = parseAgentDesired(desired)
  assert.ok(r.ok)
  assert.equal(r.version, 7)
  assert.equal('$metadata' in r.value, false)
})

test('empty desired properties are ConfigEmptyError (417); a bad schemaVersion is InvalidSchemaVersion (412)', () => {
  for (const empty of [{}, { $version: 1 }, { $version: 2, $metadata: {} }, null, undefined]) {
    const r = parseAgentDesired(empty)
    assert.equal(!r.ok && r.code, 417, JSON.stringify(empty))
    assert.equal(!r.ok && r.error, 'ConfigEmptyError')
  }
  for (const schemaVersion of [undefined, '2.0', '1.2', 1.1, 'abc']) {
    const r = parseAgentDesired({ ...agentDesired(), schemaVersion })
    assert.equal(!r.ok && r.code, 412, String(schemaVersion))
    assert.equal(!r.ok && r.error, 'InvalidSchemaVersion')
    assert.match(!r.ok ? r.problems[0]! : '', /^schemaVersion: .*expected one of 1\.0\|1\.1$/)
  }
})

test('a malformed document is ConfigFormatError (400) and EVERY problem is named with its JSON path', () => {
  const agent = agentDesired()
  const modules = agent.modules as Record<string, Record<string, unknown>>
  modules.camera!.restartPolicy = 'sometimes'
  modules.camera!.status = 'paused'
  modules.camera!.imagePullPolicy = 'always'
  modules.camera!.env = { OK: { value: 'x' }, NOVALUE: {}, OBJ: { value: { a: 1 } } }
  modules.camera!.settings = { command: '', args: 'camera.js', cmd: 'x' }
  modules.sensor!.settings = { createOptions: '{"a":', createOptions02: 'x' }
  modules.ai = { type: 'kubernetes', status: 'running', restartPolicy: 'always', settings: {} }
  modules['edgeHub'] = { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'x' } }
  modules['bad name'] = { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'x' } }
  modules.nosettings = { type: 'process', status: 'running', restartPolicy: 'always' }
  ;(agent.runtime as Record<string, unknown>).type = 'podman'
  ;(agent.systemModules as Record<string, unknown>).edgeHub = { type: 'docker', settings: { image: 'h' } }
  const problems = problemsOf(deployment(agent))
  const expected = [
    `${AGENT}.runtime.type: unknown runtime type: expected one of process|docker`,
    `${AGENT}.systemModules.edgeHub.status: is required`,
    `${AGENT}.systemModules.edgeHub.restartPolicy: is required`,
    `${AGENT}.modules.camera.status: expected one of running|stopped`,
    `${AGENT}.modules.camera.restartPolicy: expected one of never|on-failure|on-unhealthy|always`,
    `${AGENT}.modules.camera.imagePullPolicy: expected one of on-create|never`,
    `${AGENT}.modules.camera.env.NOVALUE.value: is required`,
    `${AGENT}.modules.camera.env.OBJ.value: expected a string`,
    `${AGENT}.modules.camera.settings.command: must not be empty`,
    `${AGENT}.modules.camera.settings.args: expected an array, got a string`,
    `${AGENT}.modules.camera.settings: unknown key 'cmd'`,
    `${AGENT}.modules.sensor.settings.image: is required`,
    `${AGENT}.modules.sensor.settings.createOptions02: createOptions parts must be numbered 01, 02, … without gaps: expected createOptions01`,
    `${AGENT}.modules.sensor.settings.createOptions: is not valid JSON`,
    `${AGENT}.modules.ai.type: unknown module type 'kubernetes': expected one of process|docker`,
    `${AGENT}.modules.edgeHub: 'edgeHub' is a system module: declare it under systemModules`,
    `${AGENT}.modules.bad name: 'bad name' is not a valid module name`,
    `${AGENT}.modules.nosettings.settings: is required`,
  ]
  for (const e of expected) assert.ok(problems.some((p) => p.startsWith(e)), `missing: ${e}\n got:\n${problems.join('\n')}`)
  const r = parseAgentDesired(agent)
  assert.equal(!r.ok && r.code, 400)
  assert.equal(!r.ok && r.error, 'ConfigFormatError')
})

test('an unknown module type alone is a 400 with a clear message', () => {
  const agent = agentDesired()
  ;(agent.modules as Record<string, Record<string, unknown>>).camera!.type = 'lxc'
  const r = parseAgentDesired(agent)
  assert.equal(!r.ok && r.code, 400)
  assert.deepEqual(!r.ok && r.problems, ["modules.camera.type: unknown module type 'lxc': expected one of process|docker"])
})

test('missing sections: runtime, systemModules, createOptions that is not an object', () => {
  const r = parseAgentDesired({ schemaVersion: '1.0' })
  assert.deepEqual(!r.ok && r.problems, ['runtime: is required', 'systemModules: is required'])
  const agent = agentDesired()
  ;(agent.systemModules as Record<string, Record<string, unknown>>).edgeAgent!.settings = { image: 'a', createOptions: '[1]' }
  const r2 = parseAgentDesired(agent)
  assert.deepEqual(!r2.ok && r2.problems, ['systemModules.edgeAgent.settings.createOptions: must be a JSON object (Docker ContainerCreate options)'])
  assert.ok(parseAgentDesired({ ...agentDesired(), modules: undefined }).ok, 'modules may be absent')
})

test('$edgeHub: 1.0 routes are strings; 1.1 routes may be objects with priority 0-9 and timeToLiveSecs', () => {
  const saf = { timeToLiveSecs: 7200 }
  const v10 = parseEdgeHubDesired({ schemaVersion: '1.0', routes: { a: 'FROM /messages/* INTO $upstream' }, storeAndForwardConfiguration: saf })
  assert.ok(v10.ok)
  const obj10 = parseEdgeHubDesired({ schemaVersion: '1.0', routes: { a: { route: 'FROM /messages/* INTO $upstream' } }, storeAndForwardConfiguration: saf })
  assert.deepEqual(!obj10.ok && obj10.problems, ['routes.a: expected a string, got an object'])
  const v11 = parseEdgeHubDesired({ schemaVersion: '1.1', $version: 3, routes: { a: 'FROM /messages/* INTO $upstream', b: { route: 'FROM /messages/modules/cam/* INTO $upstream', priority: 0, timeToLiveSecs: 60 } }, storeAndForwardConfiguration: saf })
  assert.ok(v11.ok)
  assert.deepEqual(v11.value.routes.b, { route: 'FROM /messages/modules/cam/* INTO $upstream', priority: 0, timeToLiveSecs: 60 })
  const bad = parseEdgeHubDesired({ schemaVersion: '1.1', routes: { a: '', b: { route: 'x', priority: 10 }, c: 3 }, storeAndForwardConfiguration: {} })
  assert.deepEqual(!bad.ok && bad.problems, [
    'routes.a: a route must not be empty',
    'routes.b.priority: expected an integer from 0 to 9',
    'routes.c: expected a route string or {route, priority, timeToLiveSecs}',
    'storeAndForwardConfiguration.timeToLiveSecs: is required',
  ])
  assert.deepEqual(parseEdgeHubDesired({ schemaVersion: '9', storeAndForwardConfiguration: saf }), { ok: false, problems: ["schemaVersion: '9' is not supported: expected one of 1.0|1.1|1.2|1.3"] })
  assert.ok(parseEdgeHubDesired({ schemaVersion: '1.2', routes: {}, storeAndForwardConfiguration: saf, mqttBroker: {} }).ok)
})

test('the deployment file: both system modules required, each entry wrapped in properties.desired', () => {
  assert.deepEqual(problemsOf(null), ['(root): expected an object with modulesContent'])
  assert.match(problemsOf({})[0]!, /^modulesContent: expected an object/)
  const problems = problemsOf({ modulesContent: { camera: { desired: {} }, other: { 'properties.desired': 5 } } })
  assert.deepEqual(problems, [
    'modulesContent.$edgeAgent: is missing: an edge deployment configures both system modules',
    'modulesContent.$edgeHub: is missing: an edge deployment configures both system modules',
    'modulesContent.camera: expected {"properties.desired": {…}}',
    'modulesContent.other.properties.desired: expected an object',
  ])
  const both = problemsOf(deployment({}, { schemaVersion: '1.1', routes: {} }))
  assert.deepEqual(both, [
    `${AGENT}: the edge agent's configuration is empty: set a deployment manifest`,
    'modulesContent.$edgeHub.properties.desired.storeAndForwardConfiguration: is required',
  ])
})

test('a manifest whose system modules are missing is reported, not thrown', () => {
  const r = validateDeploymentManifest({
    modulesContent: {
      $edgeAgent: { 'properties.desired': { schemaVersion: '1.1', runtime: { type: 'process' }, systemModules: {}, modules: {} } },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes: {} } },
    },
  })
  assert.equal(r.ok, false)
  assert.ok(!r.ok && r.problems.some((p) => p.endsWith('systemModules.edgeAgent: is required')))
})
