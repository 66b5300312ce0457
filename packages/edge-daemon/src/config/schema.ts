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
  // DPS (parsed, refused: issue 8)
  global_endpoint: z.string().optional(),
  id_scope: z.string().optional(),
  attestation: z.looseObject({}).optional(),
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

export const configSchema = z.looseObject({
  hostname: hostName.optional(),
  parent_hostname: hostAndPort.optional(),
  trust_bundle_cert: fileRef.optional(),
  provisioning: provisioning.optional(),
  agent: agent.default({ name: 'edgeAgent', type: 'process', config: {}, env: {} }),
  edge_ca: edgeCa.default({ auto_generated_edge_ca_expiry_days: 90 }),
  moby_runtime: mobyRuntime.default({ uri: 'unix:///var/run/docker.sock', network: 'azure-iot-edge' }),
  ledge: ledge.default({
    home_dir: '/var/lib/ledge/edge', hub_https_port: 443, module_gateway: 'edge_hub', watchdog_interval_secs: 60, log_level: 'info',
  }),
})

export type ConfigFile = z.infer<typeof configSchema>

/** Keys of Azure's config.toml that Ledge reads nothing from (yet); present ones are not reported as unknown. */
export const IGNORED_AZURE_KEYS = [
  'allow_elevated_docker_permissions', 'auto_reprovisioning_mode', 'prefer_module_identity_cache', 'cloud_timeout_sec', 'cloud_retries',
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
  if (prov === undefined) problems.push('provisioning: missing: add a [provisioning] table (source = "manual" with connection_string, or iothub_hostname + device_id + [provisioning.authentication])')
  if (isObj(prov) && prov.source === 'dps') problems.push('provisioning.source: "dps" is not supported yet (issue 8); use source = "manual"')
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
