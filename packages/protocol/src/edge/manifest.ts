/**
 * The IoT Edge deployment manifest (reference: azure-iotedge.md §4): the `$edgeAgent` desired properties (schema
 * 1.0 and 1.1), the `$edgeHub` desired properties (1.0 … 1.3) and the whole deployment file
 * (`{modulesContent: {$edgeAgent: {"properties.desired": …}, $edgeHub: …, <module>: …}}`).
 *
 * Validation reports every problem at once, each with its JSON path. The edge agent classifies a bad `$edgeAgent`
 * document as Azure's agent does ({@link parseAgentDesired}); the hub and the CLI check whole deployments with
 * {@link validateDeploymentManifest}.
 */
import { z } from 'zod'
import { issueProblems, type Problem } from './manifest-problems.js'
import type { ProcessModuleSettings } from './management-api.js'

export const MODULE_TYPES = ['process', 'docker'] as const
export const MODULE_STATUSES = ['running', 'stopped'] as const
export const RESTART_POLICIES = ['never', 'on-failure', 'on-unhealthy', 'always'] as const
export const IMAGE_PULL_POLICIES = ['on-create', 'never'] as const
export const AGENT_SCHEMA_VERSIONS = ['1.0', '1.1'] as const
/** 1.2 added `mqttBroker` (removed again in 1.3), 1.3 `integrity`; both are accepted and passed through. */
export const HUB_SCHEMA_VERSIONS = ['1.0', '1.1', '1.2', '1.3'] as const
/** A module without `startupOrder` starts last (Azure: uint.MaxValue). */
export const DEFAULT_STARTUP_ORDER = 4294967295
/** Route priority when a route has none (Azure: 2,000,000,000, below every explicit 0-9). */
export const DEFAULT_ROUTE_PRIORITY = 2_000_000_000

export type ModuleType = (typeof MODULE_TYPES)[number]
export type ModuleDesiredStatus = (typeof MODULE_STATUSES)[number]
export type RestartPolicy = (typeof RESTART_POLICIES)[number]
export type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number]
export type AgentSchemaVersion = (typeof AGENT_SCHEMA_VERSIONS)[number]

const oneOf = (values: readonly string[]) => `expected one of ${values.join('|')}`
/** A custom message for a wrong value; a missing one stays 'is required'. */
const msg = (text: string) => (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : text)
const statusSchema = z.enum(MODULE_STATUSES, { error: msg(oneOf(MODULE_STATUSES)) })
const restartPolicySchema = z.enum(RESTART_POLICIES, { error: msg(oneOf(RESTART_POLICIES)) })
const imagePullPolicySchema = z.enum(IMAGE_PULL_POLICIES, { error: msg(oneOf(IMAGE_PULL_POLICIES)) })
const startupOrderSchema = z.int({ error: msg('expected an integer from 0 to 4294967295') }).min(0).max(DEFAULT_STARTUP_ORDER)
const nonEmpty = z.string().min(1, { error: msg('must not be empty') })

/** `env: {KEY: {value}}`; numbers and booleans are taken as their text, as the Azure agent does. */
const envSchema = z.record(
  z.string().regex(/^[^=\0]+$/, { error: msg('an environment variable name must not be empty or contain = or NUL') }),
  z.object({ value: z.union([z.string(), z.number(), z.boolean()], { error: (iss) => (iss.input === undefined ? 'is required' : 'expected a string') }).transform(String) }),
)
export type ModuleEnv = Record<string, { value: string }>

/** Run a refinement even when sibling fields have problems: every problem is reported at once. */
const ALWAYS = { when: () => true }

const CREATE_OPTIONS_CHUNK = /^createOptions(\d\d)$/

/** Docker settings: `createOptions` is stringified Docker ContainerCreate JSON, long ones split into createOptions01…99. */
export const dockerSettingsSchema = z
  .looseObject({ image: nonEmpty, createOptions: z.string().optional(), digest: z.string().optional() })
  .superRefine((s, ctx) => {
    if (!isObject(s)) return
    const chunks = Object.keys(s).flatMap((k) => {
      const m = CREATE_OPTIONS_CHUNK.exec(k)
      return m ? [{ key: k, n: Number(m[1]) }] : []
    })
    chunks.sort((a, b) => a.n - b.n)
    for (const c of chunks) {
      if (typeof s[c.key] !== 'string') ctx.addIssue({ code: 'custom', path: [c.key], message: 'expected a string (a part of createOptions)' })
    }
    if (chunks.length > 0 && s.createOptions === undefined) ctx.addIssue({ code: 'custom', path: [chunks[0]!.key], message: 'createOptions01…99 continue createOptions, which is missing' })
    chunks.forEach((c, i) => {
      if (c.n !== i + 1) ctx.addIssue({ code: 'custom', path: [c.key], message: `createOptions parts must be numbered 01, 02, … without gaps: expected createOptions${String(i + 1).padStart(2, '0')}` })
    })
    const text = joinCreateOptions(s)
    if (text === undefined || text.trim() === '') return
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['createOptions'], message: `is not valid JSON (${(err as Error).message})` })
      return
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) ctx.addIssue({ code: 'custom', path: ['createOptions'], message: 'must be a JSON object (Docker ContainerCreate options)' })
  }, ALWAYS)
export type DockerModuleSettings = { image: string; createOptions?: string; digest?: string } & Record<string, unknown>

export const processSettingsSchema = z.strictObject({
  command: nonEmpty,
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  stopGraceSeconds: z.number().min(0).optional(),
  image: z.string().optional(),
})

/**
 * The system modules' process settings: a command, or only an `image` (an Azure manifest names
 * `mcr.microsoft.com/azureiotedge-hub`), for which the edge runtime runs its own built-in edge hub or agent.
 */
export const systemProcessSettingsSchema = processSettingsSchema
  .extend({ command: nonEmpty.optional() })
  .refine((s) => s.command !== undefined || s.image !== undefined, { error: msg('is required unless an image names a built-in system module'), path: ['command'] })

/** `createOptions` followed by createOptions01…99, joined; `undefined` when there is none. */
export function joinCreateOptions(settings: Record<string, unknown>): string | undefined {
  if (typeof settings.createOptions !== 'string') return undefined
  const parts = Object.keys(settings)
    .filter((k) => CREATE_OPTIONS_CHUNK.test(k))
    .sort()
    .map((k) => settings[k])
  return [settings.createOptions, ...parts].filter((p): p is string => typeof p === 'string').join('')
}

/** The settings object checked against the schema of the module's `type`; an unknown type is one problem. */
function settingsFor(typeField: string, rec: unknown, ctx: z.RefinementCtx, system = false): void {
  // Runs even when the object itself failed to parse (ALWAYS): it may be missing altogether.
  if (!isObject(rec) || typeof rec.type !== 'string' || !isObject(rec.settings)) return
  if (!(MODULE_TYPES as readonly string[]).includes(rec.type)) {
    ctx.addIssue({ code: 'custom', path: [typeField], message: `unknown module type '${rec.type}': ${oneOf(MODULE_TYPES)}` })
    return
  }
  const schema = rec.type === 'docker' ? dockerSettingsSchema : system ? systemProcessSettingsSchema : processSettingsSchema
  const r = schema.safeParse(rec.settings)
  if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: ['settings', ...issue.path] } as never)
}

const settingsRecord = z.record(z.string(), z.unknown(), { error: msg('expected an object') })

function moduleSchema(version: AgentSchemaVersion, system = false) {
  const startupOrder = version === '1.0'
    ? z.unknown().refine((v) => v === undefined, { error: msg('startupOrder needs schemaVersion 1.1') }).optional()
    : startupOrderSchema.optional()
  return z
    .object({
      version: z.string().optional(),
      type: z.string(),
      status: statusSchema,
      restartPolicy: restartPolicySchema,
      imagePullPolicy: imagePullPolicySchema.optional(),
      startupOrder,
      settings: settingsRecord,
      env: envSchema.optional(),
    })
    .superRefine((m, ctx) => settingsFor('type', m, ctx, system), ALWAYS)
}

const edgeAgentModuleSchema = z
  .object({ type: z.string(), imagePullPolicy: imagePullPolicySchema.optional(), settings: settingsRecord, env: envSchema.optional() })
  .superRefine((m, ctx) => settingsFor('type', m, ctx, true), ALWAYS)

const registryCredentialSchema = z.object({ username: z.string(), password: z.string(), address: nonEmpty })

const runtimeSchema = z.object({
  type: z.enum(MODULE_TYPES, { error: msg(`unknown runtime type: ${oneOf(MODULE_TYPES)}`) }),
  settings: z
    .looseObject({
      minDockerVersion: z.string().optional(),
      loggingOptions: z.string().optional(),
      registryCredentials: z.record(z.string(), registryCredentialSchema).optional(),
    })
    .optional(),
})

const RESERVED_MODULE_NAMES = new Set(['edgeAgent', 'edgeHub', '$edgeAgent', '$edgeHub'])
/** Docker's container-name rule, which the process runtime shares (names become file names): at most 128 characters. */
export const MODULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const moduleNameSchema = z.string().check((ctx) => {
  const name = ctx.value
  if (RESERVED_MODULE_NAMES.has(name)) ctx.issues.push({ code: 'custom', input: name, message: `'${name}' is a system module: declare it under systemModules` })
  else if (!MODULE_NAME_PATTERN.test(name)) ctx.issues.push({ code: 'custom', input: name, message: `'${name}' is not a valid module name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters` })
})

function agentDesiredSchema(version: AgentSchemaVersion) {
  return z.object({
    schemaVersion: z.string(),
    runtime: runtimeSchema,
    systemModules: z.object({ edgeAgent: edgeAgentModuleSchema, edgeHub: moduleSchema(version, true) }),
    modules: z.record(moduleNameSchema, moduleSchema(version)).optional(),
    integrity: z.unknown().optional(),
  })
}

export type ModuleDesired = {
  version?: string
  type: ModuleType
  status: ModuleDesiredStatus
  restartPolicy: RestartPolicy
  imagePullPolicy?: ImagePullPolicy
  startupOrder?: number
  settings: DockerModuleSettings | (ProcessModuleSettings & Record<string, unknown>)
  env?: ModuleEnv
}
export type EdgeAgentModuleDesired = Pick<ModuleDesired, 'type' | 'imagePullPolicy' | 'settings' | 'env'>

/** `$edgeAgent` `properties.desired`, without the twin's `$version`/`$metadata`. */
export interface EdgeAgentDesired {
  schemaVersion: AgentSchemaVersion
  runtime: {
    type: ModuleType
    settings?: { minDockerVersion?: string; loggingOptions?: string; registryCredentials?: Record<string, { username: string; password: string; address: string }> } & Record<string, unknown>
  }
  systemModules: { edgeAgent: EdgeAgentModuleDesired; edgeHub: ModuleDesired }
  modules: Record<string, ModuleDesired>
  integrity?: unknown
}

export interface RouteSpec {
  route: string
  /** 0 (highest) … 9; {@link DEFAULT_ROUTE_PRIORITY} when absent. */
  priority?: number
  timeToLiveSecs?: number
}

/** `$edgeHub` `properties.desired`. Routes are always objects here; 1.0 strings become `{route}`. */
export interface EdgeHubDesired {
  schemaVersion: (typeof HUB_SCHEMA_VERSIONS)[number]
  routes: Record<string, RouteSpec>
  storeAndForwardConfiguration: { timeToLiveSecs: number; storeLimits?: { maxSizeBytes: number } }
  mqttBroker?: unknown
  integrity?: unknown
}

const routeString = z.string().trim().min(1, { error: msg('a route must not be empty') })
const routeObject = z.object({
  route: routeString,
  priority: z.int({ error: msg('expected an integer from 0 to 9') }).min(0).max(9).optional(),
  timeToLiveSecs: z.int({ error: msg('expected a whole number of seconds') }).min(0).optional(),
})

function edgeHubDesiredSchema(version: string) {
  const route = version === '1.0'
    ? routeString.transform((route): RouteSpec => ({ route }))
    : z.union([routeString.transform((route): RouteSpec => ({ route })), routeObject], { error: msg('expected a route string or {route, priority, timeToLiveSecs}') })
  return z.object({
    schemaVersion: z.string(),
    routes: z.record(z.string().min(1), route).default({}),
    storeAndForwardConfiguration: z.object({
      timeToLiveSecs: z.int({ error: msg('expected a whole number of seconds') }).min(0),
      storeLimits: z.object({ maxSizeBytes: z.int().min(0) }).optional(),
    }),
    mqttBroker: z.unknown().optional(),
    integrity: z.unknown().optional(),
  })
}

/** Drops the twin's own keys (`$version`, `$metadata`) at every level. */
export function stripTwinMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTwinMetadata)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (k !== '$version' && k !== '$metadata') out[k] = stripTwinMetadata(v)
  return out
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Azure's deployment status codes for `lastDesiredStatus.code` (reference §4). */
export const DEPLOYMENT_STATUS = {
  ok: 200,
  configFormatError: 400,
  unknown: 406,
  invalidSchemaVersion: 412,
  configEmptyError: 417,
  failed: 500,
} as const
export type DeploymentStatusCode = (typeof DEPLOYMENT_STATUS)[keyof typeof DEPLOYMENT_STATUS]

export type AgentDesiredResult =
  | { ok: true; value: EdgeAgentDesired; version: number | undefined }
  | { ok: false; code: 400 | 412 | 417; error: 'ConfigFormatError' | 'InvalidSchemaVersion' | 'ConfigEmptyError'; problems: string[]; version: number | undefined }

function agentSchemaVersion(v: unknown): AgentSchemaVersion | undefined {
  // The agent takes major 1 up to 1.1.0 (reference §4); "1.1.0" is the same as "1.1".
  if (typeof v !== 'string') return undefined
  const m = /^1\.([01])(?:\.0)?$/.exec(v.trim())
  return m ? (`1.${m[1]}` as AgentSchemaVersion) : undefined
}

function hubSchemaVersion(v: unknown): EdgeHubDesired['schemaVersion'] | undefined {
  if (typeof v !== 'string') return undefined
  const m = /^1\.([0-3])(?:\.0)?$/.exec(v.trim())
  return m ? (`1.${m[1]}` as EdgeHubDesired['schemaVersion']) : undefined
}

/**
 * Checks `$edgeAgent` desired properties as the Azure agent classifies them: no content → 417 ConfigEmptyError,
 * a missing or unsupported schemaVersion → 412 InvalidSchemaVersion, anything else wrong (unknown module types
 * included) → 400 ConfigFormatError. `path` prefixes each problem's JSON path.
 */
export function parseAgentDesired(desired: unknown, path = ''): AgentDesiredResult {
  const version = isObject(desired) && typeof desired.$version === 'number' ? desired.$version : undefined
  const doc = stripTwinMetadata(desired)
  const at = (p: string) => (path ? `${path}.${p}` : p)
  if (doc === undefined || doc === null || (isObject(doc) && Object.keys(doc).length === 0)) {
    return { ok: false, code: 417, error: 'ConfigEmptyError', version, problems: [`${path || 'properties.desired'}: the edge agent's configuration is empty: set a deployment manifest`] }
  }
  if (!isObject(doc)) return { ok: false, code: 400, error: 'ConfigFormatError', version, problems: [`${path || 'properties.desired'}: expected an object`] }
  const schemaVersion = agentSchemaVersion(doc.schemaVersion)
  if (!schemaVersion) {
    const why = doc.schemaVersion === undefined ? 'is missing' : `'${String(doc.schemaVersion)}' is not supported`
    return { ok: false, code: 412, error: 'InvalidSchemaVersion', version, problems: [`${at('schemaVersion')}: ${why}: expected one of ${AGENT_SCHEMA_VERSIONS.join('|')}`] }
  }
  const r = agentDesiredSchema(schemaVersion).safeParse(doc)
  if (!r.success) return { ok: false, code: 400, error: 'ConfigFormatError', version, problems: formatProblems(issueProblems(r.error.issues), path) }
  const value = { ...r.data, schemaVersion, modules: r.data.modules ?? {} } as EdgeAgentDesired
  return { ok: true, value, version }
}

export type EdgeHubDesiredResult = { ok: true; value: EdgeHubDesired } | { ok: false; problems: string[] }

/** Checks `$edgeHub` desired properties (schema 1.0 … 1.3). */
export function parseEdgeHubDesired(desired: unknown, path = ''): EdgeHubDesiredResult {
  const doc = stripTwinMetadata(desired)
  const at = (p: string) => (path ? `${path}.${p}` : p)
  if (!isObject(doc)) return { ok: false, problems: [`${path || 'properties.desired'}: expected an object`] }
  const schemaVersion = hubSchemaVersion(doc.schemaVersion)
  if (!schemaVersion) {
    const why = doc.schemaVersion === undefined ? 'is missing' : `'${String(doc.schemaVersion)}' is not supported`
    return { ok: false, problems: [`${at('schemaVersion')}: ${why}: expected one of ${HUB_SCHEMA_VERSIONS.join('|')}`] }
  }
  const r = edgeHubDesiredSchema(schemaVersion).safeParse(doc)
  if (!r.success) return { ok: false, problems: formatProblems(issueProblems(r.error.issues), path) }
  return { ok: true, value: { ...r.data, schemaVersion } as EdgeHubDesired }
}

export interface DeploymentManifest {
  modulesContent: {
    $edgeAgent: { 'properties.desired': EdgeAgentDesired }
    $edgeHub: { 'properties.desired': EdgeHubDesired }
  } & Record<string, { 'properties.desired': object }>
}

export type DeploymentManifestResult = { ok: true; value: DeploymentManifest } | { ok: false; problems: string[] }

const DESIRED = 'properties.desired'

/** Checks a whole deployment file; every problem, with its JSON path. */
export function validateDeploymentManifest(json: unknown): DeploymentManifestResult {
  if (!isObject(json)) return { ok: false, problems: ['(root): expected an object with modulesContent'] }
  const content = json.modulesContent
  if (!isObject(content)) return { ok: false, problems: ['modulesContent: expected an object: {"$edgeAgent": {"properties.desired": …}, "$edgeHub": …, …}'] }
  const problems: string[] = []
  const out: Record<string, { [DESIRED]: unknown }> = {}
  for (const required of ['$edgeAgent', '$edgeHub']) {
    if (!(required in content)) problems.push(`modulesContent.${required}: is missing: an edge deployment configures both system modules`)
  }
  for (const [moduleId, entry] of Object.entries(content)) {
    const path = `modulesContent.${moduleId}`
    if (!isObject(entry) || !(DESIRED in entry)) {
      problems.push(`${path}: expected {"properties.desired": {…}}`)
      continue
    }
    const desiredPath = `${path}.${DESIRED}`
    const desired = entry[DESIRED]
    if (moduleId === '$edgeAgent') {
      const r = parseAgentDesired(desired, desiredPath)
      if (r.ok) out[moduleId] = { [DESIRED]: r.value }
      else problems.push(...r.problems)
    } else if (moduleId === '$edgeHub') {
      const r = parseEdgeHubDesired(desired, desiredPath)
      if (r.ok) out[moduleId] = { [DESIRED]: r.value }
      else problems.push(...r.problems)
    } else if (!isObject(desired)) {
      problems.push(`${desiredPath}: expected an object`)
    } else {
      out[moduleId] = { [DESIRED]: stripTwinMetadata(desired) }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { modulesContent: out } as unknown as DeploymentManifest }
}

function formatProblems(problems: Problem[], prefix: string): string[] {
  return problems.map((p) => {
    const path = [prefix, p.path].filter(Boolean).join('.')
    return `${path || '(root)'}: ${p.message}`
  })
}
