/**
 * Checks a `PUT /configurations/{id}` body (azure-iothub's `Configuration`) and turns it into what the hub keeps.
 * Every problem is reported at once, named by its JSON path, as applyConfigurationContent does.
 */
import { isQueryParseError, validateDeploymentManifest } from '@ledge/protocol'
import { errors } from '../errors.js'
import { configurationContentProblems } from '../edge/configuration-service.js'
import { composeDesired, DESIRED, hasLayeredPaths, layeredPath, toModulesContent, type ModulesContent } from './compose.js'
import {
  CONFIGURATION_ID_PATTERN, MAX_CONFIGURATION_CONTENT_BYTES, MAX_CONFIGURATION_ID_LENGTH, MAX_LABEL_LENGTH,
  MAX_METRIC_QUERIES, MAX_MODULES_PER_DEPLOYMENT, MAX_TARGET_CONDITION_LENGTH,
} from './limits.js'
import { compileTargetCondition } from './target.js'
import { parseMetricQuery } from './metric-query.js'

export interface ConfigurationInput {
  modulesContent: ModulesContent
  targetCondition: string
  priority: number
  layered: boolean
  labels: Record<string, string>
  metricQueries: Record<string, string>
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (isObject(v) && Object.keys(v).length === 0)
}

/** Throws ArgumentInvalid when `id` is not a valid configuration id. */
export function checkConfigurationId(id: string): void {
  if (id.length === 0 || id.length > MAX_CONFIGURATION_ID_LENGTH || !CONFIGURATION_ID_PATTERN.test(id)) {
    throw errors.argumentInvalid(`configuration id '${id}' is not valid: up to ${MAX_CONFIGURATION_ID_LENGTH} lowercase letters, digits and - + % _ # * ? ! ( ) , : = @ $ '`)
  }
}

/**
 * A layer is checked on top of a minimal valid base: what it adds must itself be a valid part of a deployment
 * (a module spec under `$edgeAgent`'s modules, routes under `$edgeHub`'s).
 */
const LAYER_CHECK_BASE: ModulesContent = {
  $edgeAgent: {
    [DESIRED]: {
      schemaVersion: '1.1',
      runtime: { type: 'process', settings: {} },
      systemModules: {
        edgeAgent: { type: 'process', settings: { command: 'node' } },
        edgeHub: { type: 'process', status: 'running', restartPolicy: 'always', settings: { command: 'node' } },
      },
      modules: {},
    },
  },
  $edgeHub: { [DESIRED]: { schemaVersion: '1.1', routes: {}, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
}

function layeredProblems(content: ModulesContent): string[] {
  const problems: string[] = []
  for (const [moduleId, entry] of Object.entries(content)) {
    const path = `modulesContent.${moduleId}`
    if (!isObject(entry) || Object.keys(entry).length === 0) {
      problems.push(`${path} must be {"properties.desired": {…}} or {"properties.desired.<path>": …}`)
      continue
    }
    for (const [key, value] of Object.entries(entry)) {
      const segments = layeredPath(key)
      if (!segments || segments.some((s) => s.length === 0)) {
        problems.push(`${path} has '${key}': a layered deployment sets "properties.desired" or "properties.desired.<path>" (as properties.desired.modules.<name>)`)
      } else if (segments.length === 0 && !isObject(value)) {
        problems.push(`${path}.properties.desired must be a JSON object`)
      } else if (segments.length === 0 && (moduleId === '$edgeAgent' || moduleId === '$edgeHub')) {
        problems.push(`${path}: a layered deployment cannot replace the whole desired properties of ${moduleId}; set paths such as properties.desired.${moduleId === '$edgeAgent' ? 'modules.<name>' : 'routes.<name>'}`)
      }
    }
  }
  if (problems.length) return problems
  const composed = toModulesContent(composeDesired(LAYER_CHECK_BASE, [content]))
  const r = validateDeploymentManifest({ modulesContent: composed })
  if (!r.ok) problems.push(...r.problems)
  const shape = configurationContentProblems({ modulesContent: composed })
  problems.push(...shape)
  return problems
}

function moduleCount(content: ModulesContent, layered: boolean): number {
  const agent = content.$edgeAgent
  if (!agent) return 0
  if (!layered) return Object.keys(((agent[DESIRED] as Record<string, unknown>)?.modules as Record<string, unknown>) ?? {}).length
  return new Set(Object.keys(agent).map((k) => layeredPath(k)).filter((p) => p && p[0] === 'modules' && p[1]).map((p) => p![1])).size
}

function stringMap(value: unknown, what: string, problems: string[], check: (k: string, v: string) => string | undefined): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (!isObject(value)) {
    problems.push(`${what} must be a JSON object of strings`)
    return {}
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') problems.push(`${what}.${k} must be a string`)
    else {
      const p = check(k, v)
      if (p) problems.push(p)
      else out[k] = v
    }
  }
  return out
}

/** Validates the body; throws ArgumentInvalid listing every problem. */
export function parseConfigurationInput(id: string, body: unknown): ConfigurationInput {
  checkConfigurationId(id)
  if (!isObject(body)) throw errors.argumentInvalid('the configuration must be a JSON object with id, content, targetCondition and priority')
  const problems: string[] = []
  if (body.id !== undefined && body.id !== id) problems.push(`the body's id '${String(body.id)}' differs from '${id}' in the path`)
  const content = body.content
  let modulesContent: ModulesContent = {}
  let layered = body.layered === true
  if (!isObject(content) || !isObject(content.modulesContent) || Object.keys(content.modulesContent).length === 0) {
    problems.push('content.modulesContent is required: {"$edgeAgent": {"properties.desired": …}, "$edgeHub": …, …}')
  } else {
    if (!isEmpty(content.moduleContent) || !isEmpty(content.deviceContent)) {
      problems.push('content.deviceContent and content.moduleContent are not supported: Ledge configurations are edge deployments (content.modulesContent only)')
    }
    modulesContent = content.modulesContent as ModulesContent
    if (body.layered === undefined && hasLayeredPaths(modulesContent)) layered = true
    const size = Buffer.byteLength(JSON.stringify(content))
    if (size > MAX_CONFIGURATION_CONTENT_BYTES) problems.push(`content is ${size} bytes, more than the limit of ${MAX_CONFIGURATION_CONTENT_BYTES}`)
    else if (layered) problems.push(...layeredProblems(modulesContent))
    else {
      if (hasLayeredPaths(modulesContent)) problems.push('"properties.desired.<path>" keys are for layered deployments: set "layered": true, or give each module its whole "properties.desired"')
      const shape = configurationContentProblems({ modulesContent })
      problems.push(...shape)
      if (shape.length === 0) {
        const r = validateDeploymentManifest({ modulesContent })
        if (!r.ok) problems.push(...r.problems)
      }
    }
    const modules = moduleCount(modulesContent, layered)
    if (modules > MAX_MODULES_PER_DEPLOYMENT) problems.push(`the deployment has ${modules} modules, more than the limit of ${MAX_MODULES_PER_DEPLOYMENT}`)
  }
  if (body.layered !== undefined && typeof body.layered !== 'boolean') problems.push('layered must be true or false')
  const targetCondition = typeof body.targetCondition === 'string' ? body.targetCondition.trim() : ''
  if (!targetCondition) problems.push(`targetCondition is required: a condition on the device twin such as tags.environment='prod', or '*' for every edge device`)
  else if (targetCondition.length > MAX_TARGET_CONDITION_LENGTH) problems.push(`targetCondition is ${targetCondition.length} characters, more than the limit of ${MAX_TARGET_CONDITION_LENGTH}`)
  else {
    try {
      compileTargetCondition(targetCondition)
    } catch (err) {
      problems.push((err as Error).message)
    }
  }
  const priority = body.priority ?? 0
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0) problems.push('priority must be a non-negative integer')
  const labels = stringMap(body.labels, 'labels', problems, (k, v) =>
    k.startsWith('$') ? `labels.${k}: label names starting with '$' are reserved`
      : k.length > MAX_LABEL_LENGTH || v.length > MAX_LABEL_LENGTH ? `labels.${k}: names and values are at most ${MAX_LABEL_LENGTH} characters` : undefined)
  const metrics = body.metrics
  const metricQueries = stringMap(isObject(metrics) ? metrics.queries : undefined, 'metrics.queries', problems, (k, v) => {
    try {
      const q = parseMetricQuery(v).query
      return q.select.kind === 'all' || q.from !== 'devices.modules' && q.from !== 'devices' ? `metrics.queries.${k}: select properties (SELECT deviceId FROM devices.modules WHERE …), not *` : undefined
    } catch (err) {
      return isQueryParseError(err) ? `metrics.queries.${k}: ${err.message}` : String(err)
    }
  })
  if (Object.keys(metricQueries).length > MAX_METRIC_QUERIES) problems.push(`metrics.queries has more than ${MAX_METRIC_QUERIES} queries`)
  if (problems.length > 0) throw errors.argumentInvalid(`the configuration '${id}' is not valid: ${problems.join('. ')}`)
  return { modulesContent, targetCondition, priority: priority as number, layered, labels, metricQueries }
}
