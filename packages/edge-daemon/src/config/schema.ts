/**
 * The shape of `config.toml`, as Azure's `/etc/aziot/config.toml` (reference: azure-iotedge.md §1) plus Ledge's own
 * `[ledge]` table. zod checks each value; {@link crossFieldProblems} checks what only makes sense together. Both run
 * on every load so that every problem is reported at once, each with its TOML path.
 */
import { z } from 'zod'

const nonEmpty = z.string().min(1, 'must not be empty')
/** A DNS name (RFC 1123 labels) or an IPv4 address. */
export const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const hostName = z.string().regex(HOST_NAME, 'must be a DNS name or an IPv4 address')
/** `host` or `host:port`. */
const hostAndPort = z.string().regex(/^[A-Za-z0-9.-]+(?::\d{1,5})?$/, 'must be a host name, optionally with :port')
/** `file:///abs/path`, an absolute path, or a path relative to the configuration file. */
const fileRef = nonEmpty
const percent = z.string().regex(/^(?:100|[1-9]?\d(?:\.\d+)?)%$/, 'must be a percentage of the certificate lifetime, e.g. "80%"')
/** DPS registration ids (as the hub's DPS checks them). */
export const DPS_REGISTRATION_ID = /^[A-Za-z0-9\-._:]{0,127}[A-Za-z0-9-]$/
const port = z.number().int('must be a whole number').min(1, 'must be 1 to 65535').max(65535, 'must be 1 to 65535')

const provisioning = z.looseObject({
  source: z.enum(['manual', 'dps'], 'must be "manual" or "dps"'),
  connection_string: nonEmpty.optional(),
  iothub_hostname: hostName.optional(),
  device_id: z.string().regex(/^[A-Za-z0-9\-.+%_#*?!(),:=@$']{1,128}$/, 'is not a valid device id').optional(),
  authentication: z
    .looseObject({
      method: z.enum(['sas', 'x509', 'est', 'local_ca'], 'must be "sas" or "x509"'),
      device_id_pk: z.strictObject({ value: nonEmpty.optional(), uri: fileRef.optional() }).optional(),
    })
    .optional(),
  // source = "dps" (checked together in dpsProvisioningProblems)
  global_endpoint: z.string().optional(),
  id_scope: z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'must be the DPS id scope (letters and digits, e.g. "0ne00A1B2C3")').optional(),
  payload: z.strictObject({ uri: fileRef }).optional(),
  attestation: z
    .looseObject({
      method: z.enum(['symmetric_key', 'x509', 'tpm'], 'must be "symmetric_key", "x509" or "tpm"'),
      registration_id: z.string().regex(DPS_REGISTRATION_ID, "must be 1 to 128 characters of letters, digits and '-._:', ending in a letter, digit or '-'").optional(),
      symmetric_key: z.strictObject({ value: nonEmpty.optional(), uri: fileRef.optional() }).optional(),
    })
    .optional(),
  // aziot-identityd's older form of auto_reprovisioning_mode
  always_reprovision_on_startup: z.boolean('must be true or false').optional(),
  dynamic_reprovisioning: z.boolean('must be true or false').optional(),
})

const agent = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a module name (letters, digits, _ . -)').default('edgeAgent'),
  type: z.string().default('process'),
  imagePullPolicy: z.enum(['on-create', 'never']).optional(),
  /** For `type = "process"`: ProcessModuleSettings (command, args, workingDir, stopGraceSeconds). */
  config: z.record(z.string(), z.unknown()).default({}),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()], 'must be a string, number or boolean')).default({}),
})

const edgeCa = z.looseObject({
  cert: fileRef.optional(),
  pk: fileRef.optional(),
  method: z.string().optional(),
  auto_generated_edge_ca_expiry_days: z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(3650, 'must be at most 3650 days').default(90),
  auto_renew: z
    .strictObject({
      rotate_key: z.boolean().default(true),
      threshold: percent.default('80%'),
      retry: percent.default('4%'),
    })
    .optional(),
})

/** The Docker runtime is used when the file has a `[moby_runtime]` table, or the agent is of type "docker". */
const mobyRuntime = z.looseObject({
  uri: z.string().default('unix:///var/run/docker.sock'),
  network: z.string().default('azure-iot-edge'),
  /**
   * Ledge's own key: which containers of the engine are this daemon's (label `ledge.runtime-id`). Azure runs one edge
   * per engine; two Ledge daemons (or test runs) sharing an engine need different ids, or each would remove the
   * other's containers as modules no longer deployed.
   */
  runtime_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . - (at most 63, not starting with a symbol)').default('default'),
})

const ledge = z.strictObject({
  home_dir: fileRef.default('/var/lib/ledge/edge'),
  workload_socket_dir: fileRef.optional(),
  management_socket: fileRef.optional(),
  agent_management_socket: fileRef.optional(),
  modules_dir: fileRef.optional(),
  hub_ca_cert: fileRef.optional(),
  hub_https_port: port.default(443),
  mqtt_port: port.optional(),
  gateway_hostname: hostAndPort.optional(),
  module_gateway: z.enum(['upstream', 'edge_hub'], 'must be "upstream" or "edge_hub"').default('edge_hub'),
  workload_tcp_port: port.optional(),
  watchdog_interval_secs: z.number().int().min(1, 'must be at least 1').max(3600, 'must be at most 3600').default(60),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

/** aziot's modes (reference: azure-iotedge.md §1): when the device asks DPS again for its hub. */
export const REPROVISIONING_MODES = ['Dynamic', 'AlwaysOnStartup', 'OnErrorOnly'] as const

export const configSchema = z.looseObject({
  hostname: hostName.optional(),
  auto_reprovisioning_mode: z.enum(REPROVISIONING_MODES, 'must be "Dynamic", "AlwaysOnStartup" or "OnErrorOnly"').optional(),
  parent_hostname: hostAndPort.optional(),
  trust_bundle_cert: fileRef.optional(),
  provisioning: provisioning.optional(),
  agent: agent.default({ name: 'edgeAgent', type: 'process', config: {}, env: {} }),
  edge_ca: edgeCa.default({ auto_generated_edge_ca_expiry_days: 90 }),
  moby_runtime: mobyRuntime.default({ uri: 'unix:///var/run/docker.sock', network: 'azure-iot-edge', runtime_id: 'default' }),
  ledge: ledge.default({
    home_dir: '/var/lib/ledge/edge', hub_https_port: 443, module_gateway: 'edge_hub', watchdog_interval_secs: 60, log_level: 'info',
  }),
})

export type ConfigFile = z.infer<typeof configSchema>

/** Keys of Azure's config.toml that Ledge reads nothing from (yet); present ones are not reported as unknown. */
export const IGNORED_AZURE_KEYS = [
  'allow_elevated_docker_permissions', 'prefer_module_identity_cache', 'cloud_timeout_sec', 'cloud_retries',
  'iotedge_max_requests', 'additional_info', 'connect', 'listen', 'homedir', 'watchdog', 'image_garbage_collection', 'cert_issuance',
  'tpm', 'aziot_keys', 'preloaded_keys', 'preloaded_certs', 'principal', 'aziot_max_requests', 'manifest_trust_bundle_cert', 'imagePullPolicy',
]

/** The top-level keys Ledge knows (reads or deliberately ignores). */
export const KNOWN_TOP_LEVEL = new Set([...Object.keys(configSchema.shape), ...IGNORED_AZURE_KEYS])

/** `['agent','config','args',0]` → `agent.config.args[0]`. */
export function tomlPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`
  return out || '(file)'
}

type Raw = Record<string, unknown>
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Problems between fields (which zod checks one value at a time). Runs on the raw TOML, defensively, so that it adds
 * its findings to zod's even when the shapes are wrong elsewhere.
 */
export function crossFieldProblems(raw: Raw, parseConnectionString: (s: string) => string | undefined): string[] {
  const problems: string[] = []
  const prov = raw.provisioning
  if (prov === undefined) problems.push('provisioning: missing: add a [provisioning] table (source = "manual" with connection_string, or iothub_hostname + device_id + [provisioning.authentication]; or source = "dps")')
  if (isObj(prov) && prov.source === 'dps') problems.push(...dpsProvisioningProblems(prov))
  if (isObj(prov) && raw.auto_reprovisioning_mode !== undefined) {
    for (const old of ['always_reprovision_on_startup', 'dynamic_reprovisioning']) {
      if (prov[old] !== undefined) problems.push(`provisioning.${old}: give auto_reprovisioning_mode or this older setting, not both`)
    }
  }
  if (isObj(prov) && prov.source === 'manual') problems.push(...manualProvisioningProblems(prov, parseConnectionString))

  const ca = raw.edge_ca
  if (isObj(ca)) {
    if ((ca.cert === undefined) !== (ca.pk === undefined)) problems.push(`edge_ca.${ca.cert === undefined ? 'cert' : 'pk'}: give both edge_ca.cert and edge_ca.pk, or neither (an edge CA is then generated)`)
    if (typeof ca.method === 'string') problems.push(`edge_ca.method: "${ca.method}" (EST / local CA issuance) is not supported yet; give cert + pk, or neither`)
  }

  const agentRaw = raw.agent
  if (isObj(agentRaw)) problems.push(...agentProblems(agentRaw))

  const l = raw.ledge
  if (isObj(l) && typeof l.gateway_hostname === 'string' && l.gateway_hostname.includes(':') && l.mqtt_port !== undefined) {
    problems.push('ledge.mqtt_port: give the port in ledge.gateway_hostname or in ledge.mqtt_port, not both')
  }
  return problems
}

function manualProvisioningProblems(prov: Raw, parseConnectionString: (s: string) => string | undefined): string[] {
  const problems: string[] = []
  const byString = prov.connection_string !== undefined
  const byParts = prov.iothub_hostname !== undefined || prov.device_id !== undefined || prov.authentication !== undefined
  if (byString && byParts) {
    problems.push('provisioning.connection_string: give connection_string, or iothub_hostname + device_id + [provisioning.authentication], not both')
  } else if (!byString && !byParts) {
    problems.push('provisioning: source = "manual" needs connection_string, or iothub_hostname + device_id + [provisioning.authentication]')
  }
  if (byString && typeof prov.connection_string === 'string') {
    const why = parseConnectionString(prov.connection_string)
    if (why) problems.push(`provisioning.connection_string: ${why}`)
  }
  if (byParts && !byString) {
    if (prov.iothub_hostname === undefined) problems.push('provisioning.iothub_hostname: missing (needed with device_id and [provisioning.authentication])')
    if (prov.device_id === undefined) problems.push('provisioning.device_id: missing (needed with iothub_hostname and [provisioning.authentication])')
    const auth = prov.authentication
    if (auth === undefined) problems.push('provisioning.authentication: missing: add method = "sas" with device_id_pk = { value = "<base64 key>" } or { uri = "file:///…" }')
    if (isObj(auth) && typeof auth.method === 'string' && auth.method !== 'sas') {
      problems.push(`provisioning.authentication.method: "${auth.method}" is not supported yet; use "sas"`)
    }
    if (isObj(auth) && auth.method === 'sas') {
      const pk = auth.device_id_pk
      if (pk === undefined) problems.push('provisioning.authentication.device_id_pk: missing: give { value = "<base64 key>" } or { uri = "file:///…" }')
      if (isObj(pk)) {
        if ((pk.value === undefined) === (pk.uri === undefined)) problems.push('provisioning.authentication.device_id_pk: give exactly one of value or uri')
        if (typeof pk.value === 'string' && pk.value !== '' && !isBase64Key(pk.value)) problems.push('provisioning.authentication.device_id_pk.value: is not a base64 key')
      }
    }
  }
  return problems
}

const MANUAL_ONLY = ['connection_string', 'iothub_hostname', 'device_id', 'authentication'] as const

/** `source = "dps"`, as aziot's: global_endpoint, id_scope, [provisioning.attestation] with a symmetric key. */
function dpsProvisioningProblems(prov: Raw): string[] {
  const problems: string[] = []
  for (const k of MANUAL_ONLY) if (prov[k] !== undefined) problems.push(`provisioning.${k}: is for source = "manual"; with source = "dps" the hub and device come from DPS`)
  if (prov.global_endpoint === undefined) problems.push('provisioning.global_endpoint: missing: the DPS endpoint, e.g. "https://global.azure-devices-provisioning.net" (Ledge: "https://<hub host>")')
  else if (typeof prov.global_endpoint === 'string' && globalEndpointProblem(prov.global_endpoint)) problems.push(`provisioning.global_endpoint: ${globalEndpointProblem(prov.global_endpoint)}`)
  if (prov.id_scope === undefined) problems.push('provisioning.id_scope: missing: the DPS id scope (`ledge hub dps show`)')
  if (prov.registration_id !== undefined) problems.push('provisioning.registration_id: belongs in [provisioning.attestation]')
  const att = prov.attestation
  if (att === undefined) {
    problems.push('provisioning.attestation: missing: add [provisioning.attestation] method = "symmetric_key", registration_id = "…", symmetric_key = { value = "<base64 key>" } or { uri = "file:///…" }')
    return problems
  }
  if (!isObj(att)) return problems
  if (typeof att.method === 'string' && att.method !== 'symmetric_key') problems.push(`provisioning.attestation.method: "${att.method}" is not supported yet; use "symmetric_key"`)
  if (att.method === undefined) problems.push('provisioning.attestation.method: missing: method = "symmetric_key"')
  if (att.method !== 'symmetric_key') return problems
  if (att.registration_id === undefined) problems.push('provisioning.attestation.registration_id: missing: the registration id of the enrollment (or the one the group key was derived for)')
  const key = att.symmetric_key
  if (key === undefined) problems.push('provisioning.attestation.symmetric_key: missing: give { value = "<base64 key>" } or { uri = "file:///…" }')
  if (isObj(key)) {
    if ((key.value === undefined) === (key.uri === undefined)) problems.push('provisioning.attestation.symmetric_key: give exactly one of value or uri')
    if (typeof key.value === 'string' && key.value !== '' && !isBase64Key(key.value)) problems.push('provisioning.attestation.symmetric_key.value: is not a base64 key')
    if (typeof key.uri === 'string' && key.uri.startsWith('pkcs11:')) problems.push('provisioning.attestation.symmetric_key.uri: PKCS#11 keys are not supported; give a file:/// URI or the value')
  }
  return problems
}

/** `https://host[:port][/]`: what the provisioning SDK can dial. */
export function globalEndpointProblem(s: string): string | undefined {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    return `"${s}" is not a URL: give https://<DPS host>`
  }
  if (u.protocol !== 'https:') return `"${s}" must use https://`
  if (!HOST_NAME.test(u.hostname)) return `"${u.hostname}" is not a host name`
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username) return `"${s}" must be https://<host>[:port] only, without a path, query or credentials`
  return undefined
}

export function isBase64Key(s: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(s) && s.length % 4 === 0 && Buffer.from(s, 'base64').length >= 16
}

function agentProblems(a: Raw): string[] {
  const problems: string[] = []
  const type = a.type ?? 'process'
  if (type !== 'process' && type !== 'docker') problems.push(`agent.type: "${String(type)}" is not a module type; use "process" or "docker"`)
  const c = a.config
  if (type === 'docker') {
    const image = isObj(c) ? c.image : undefined
    if (typeof image !== 'string' || image.trim() === '') problems.push('agent.config.image: missing: type = "docker" needs the agent image (image = "…")')
    if (isObj(c) && c.createOptions !== undefined && typeof c.createOptions !== 'string' && !isObj(c.createOptions)) {
      problems.push('agent.config.createOptions: must be a table or a string of Docker create options (JSON)')
    }
  }
  if (type === 'process' && isObj(c)) {
    if (c.command !== undefined && (typeof c.command !== 'string' || c.command === '')) problems.push('agent.config.command: must be a non-empty string')
    if (c.args !== undefined && (!Array.isArray(c.args) || c.args.some((x) => typeof x !== 'string'))) problems.push('agent.config.args: must be an array of strings')
    if (c.args !== undefined && c.command === undefined) problems.push('agent.config.args: give agent.config.command too (args alone would run the default command with other arguments)')
    if (c.workingDir !== undefined && typeof c.workingDir !== 'string') problems.push('agent.config.workingDir: must be a string')
    if (c.stopGraceSeconds !== undefined && !(typeof c.stopGraceSeconds === 'number' && c.stopGraceSeconds >= 0)) {
      problems.push('agent.config.stopGraceSeconds: must be a number of seconds, 0 or more')
    }
  }
  return problems
}
