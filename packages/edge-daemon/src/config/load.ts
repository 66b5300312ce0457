/**
 * Reading `config.toml` into a {@link DaemonConfig}: TOML, then the schema and the cross-field checks (all problems at
 * once, as a {@link ConfigError}), then defaults and paths resolved. Unknown keys are warnings, not errors, so that a
 * file written for Azure IoT Edge still loads.
 */
import { readFileSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseToml, TomlError } from 'smol-toml'
import { ConnectionStringError, parseDeviceConnectionString } from '@ledge/protocol'
import { ConfigError } from '../errors.js'
import { defaultAgentSettings } from './defaults.js'
import { configSchema, crossFieldProblems, KNOWN_TOP_LEVEL, tomlPath, type ConfigFile, type REPROVISIONING_MODES } from './schema.js'

export type DeviceKeySource = { value: string } | { file: string }

export interface ManualProvisioning {
  source: 'manual'
  iothubHostname: string
  deviceId: string
  deviceKey: DeviceKeySource
  /** GatewayHostName of the connection string, when it had one: the upstream MQTT endpoint. */
  gatewayHostName?: string
}

/** aziot's `auto_reprovisioning_mode`: when the daemon asks DPS again (see provisioning/dps.ts). */
export type ReprovisioningMode = (typeof REPROVISIONING_MODES)[number]

export interface DpsProvisioning {
  source: 'dps'
  /** `host` or `host:port` of the DPS endpoint (Ledge: the hub's HTTPS listener). */
  endpoint: string
  idScope: string
  registrationId: string
  /** The device's symmetric key: the enrollment's, or the one derived from the group key. It is also its hub key. */
  deviceKey: DeviceKeySource
  /** A JSON file sent with the registration (`payload = { uri }`). */
  payloadFile?: string
  reprovisioning: ReprovisioningMode
}

/** The daemon's settings, resolved: absolute paths, defaults applied, provisioning in one form. */
export interface DaemonConfig {
  /** The file it came from (absolute). */
  file: string
  /** The edge device's host name (modules reach the edge hub by it). */
  hostname: string
  parentHostname?: string
  trustBundleCertFile?: string
  provisioning: ManualProvisioning | DpsProvisioning
  agent: {
    name: string
    type: string
    imagePullPolicy?: 'on-create' | 'never'
    settings: Record<string, unknown>
    env: Record<string, string>
  }
  edgeCa: {
    certFile?: string
    keyFile?: string
    expiryDays: number
    /** Renewal of a generated edge CA (a user-supplied one is the user's to renew). */
    autoRenew: { rotateKey: boolean; thresholdPercent: number; retryPercent: number }
  }
  /** `enabled`: the file has a `[moby_runtime]` table or `[agent] type = "docker"`: the daemon runs the Docker runtime. */
  moby: { uri: string; network: string; runtimeId: string; enabled: boolean }
  ledge: {
    homeDir: string
    workloadSocketDir: string
    managementSocket: string
    agentManagementSocket: string
    modulesDir: string
    hubCaCertFile?: string
    hubHttpsPort: number
    /** `[ledge] mqtt_port`, when set. */
    mqttPort?: number
    /** `host[:port]` modules and the agent dial for MQTT while no edge hub runs (see README "Gateway"). */
    upstreamGateway?: string
    moduleGateway: 'upstream' | 'edge_hub'
    workloadTcpPort?: number
    watchdogIntervalMs: number
    logLevel: string
  }
}

export interface LoadedConfig {
  config: DaemonConfig
  /** Unknown keys and the like: worth a log line, not a refusal. */
  warnings: string[]
}

/** `file:///x` → `/x`; a relative path → against the config file's folder. */
export function resolveFileRef(ref: string, baseDir: string): string {
  if (ref.startsWith('file://')) return fileURLToPath(ref)
  return isAbsolute(ref) ? ref : resolve(baseDir, ref)
}

function connectionStringProblem(s: string): string | undefined {
  try {
    const cs = parseDeviceConnectionString(s)
    if (cs.moduleId) return 'is a module connection string: give the edge device\'s own (no ModuleId)'
    if (!cs.sharedAccessKey) return 'has no SharedAccessKey: only symmetric-key (SAS) devices are supported yet'
    return undefined
  } catch (err) {
    if (err instanceof ConnectionStringError) return err.message
    throw err
  }
}

/** Parses and validates the text of a config file; throws {@link ConfigError} with every problem. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const abs = resolve(file)
  let raw: Record<string, unknown>
  try {
    raw = parseToml(text) as Record<string, unknown>
  } catch (err) {
    if (err instanceof TomlError) throw new ConfigError(abs, [`(file): not valid TOML at line ${err.line}, column ${err.column}: ${err.message.split('\n')[0]}`])
    throw err
  }
  const r = configSchema.safeParse(raw)
  const problems = r.success ? [] : r.error.issues.map((i) => `${tomlPath(i.path)}: ${i.message}`)
  problems.push(...crossFieldProblems(raw, connectionStringProblem))
  if (problems.length > 0 || !r.success) throw new ConfigError(abs, [...new Set(problems)])
  const warnings = Object.keys(raw).filter((k) => !KNOWN_TOP_LEVEL.has(k)).map((k) => `${k}: unknown key, ignored`)
  return { config: resolveConfig(r.data, abs, raw.moby_runtime !== undefined), warnings }
}

export function loadConfigFile(file: string): LoadedConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new ConfigError(resolve(file), [e.code === 'ENOENT' ? '(file): does not exist (write one with `ledge edge config mp --connection-string …`)' : `(file): cannot be read: ${e.message}`])
  }
  return parseConfig(text, file)
}

function provisioningOf(c: ConfigFile, baseDir: string): DaemonConfig['provisioning'] {
  const p = c.provisioning!
  if (p.source === 'dps') {
    const att = p.attestation!
    const key = att.symmetric_key!
    // auto_reprovisioning_mode, else the older settings as `iotedge config import` maps them, else aziot's default.
    const reprovisioning: ReprovisioningMode = c.auto_reprovisioning_mode
      ?? (p.dynamic_reprovisioning ? 'Dynamic' : p.always_reprovision_on_startup ? 'AlwaysOnStartup'
        : p.dynamic_reprovisioning === false || p.always_reprovision_on_startup === false ? 'OnErrorOnly' : 'Dynamic')
    return {
      source: 'dps', endpoint: new URL(p.global_endpoint!).host, idScope: p.id_scope!, registrationId: att.registration_id!,
      deviceKey: key.value !== undefined ? { value: key.value } : { file: resolveFileRef(key.uri!, baseDir) },
      ...(p.payload ? { payloadFile: resolveFileRef(p.payload.uri, baseDir) } : {}),
      reprovisioning,
    }
  }
  if (p.connection_string !== undefined) {
    const cs = parseDeviceConnectionString(p.connection_string)
    return {
      source: 'manual', iothubHostname: cs.hostName, deviceId: cs.deviceId, deviceKey: { value: cs.sharedAccessKey! },
      ...(cs.gatewayHostName ? { gatewayHostName: cs.gatewayHostName } : {}),
    }
  }
  const pk = p.authentication!.device_id_pk!
  return {
    source: 'manual', iothubHostname: p.iothub_hostname!, deviceId: p.device_id!,
    deviceKey: pk.value !== undefined ? { value: pk.value } : { file: resolveFileRef(pk.uri!, baseDir) },
  }
}

/** The connection string's GatewayHostName, else `<hub>:<mqtt_port>` when the port is not the standard one. */
export function upstreamGatewayOf(gatewayHostName: string | undefined, iothubHostname: string, mqttPort: number | undefined): string | undefined {
  return gatewayHostName ?? (mqttPort !== undefined ? `${iothubHostname}:${mqttPort}` : undefined)
}

function percentOf(s: string): number {
  return Number(s.slice(0, -1))
}

function resolveConfig(c: ConfigFile, file: string, mobyConfigured: boolean): DaemonConfig {
  const base = dirname(file)
  const path = (ref: string | undefined): string | undefined => (ref === undefined ? undefined : resolveFileRef(ref, base))
  const l = c.ledge
  const homeDir = path(l.home_dir)!
  const provisioning = provisioningOf(c, base)
  // Upstream MQTT endpoint: the nested parent, else what the user set, else the hub on a non-standard port (with DPS
  // the hub is known only once registered: see upstreamGatewayOf).
  const upstreamGateway = c.parent_hostname
    ?? l.gateway_hostname
    ?? (provisioning.source === 'manual' ? upstreamGatewayOf(provisioning.gatewayHostName, provisioning.iothubHostname, l.mqtt_port) : undefined)
  const settings = c.agent.type === 'docker' || c.agent.config.command !== undefined ? c.agent.config : { ...defaultAgentSettings(), ...c.agent.config }
  const renew = c.edge_ca.auto_renew ?? { rotate_key: true, threshold: '80%', retry: '4%' }
  const config: DaemonConfig = {
    file,
    hostname: (c.hostname ?? osHostname()).toLowerCase(),
    provisioning,
    agent: {
      name: c.agent.name,
      type: c.agent.type,
      ...(c.agent.imagePullPolicy ? { imagePullPolicy: c.agent.imagePullPolicy } : {}),
      settings,
      env: Object.fromEntries(Object.entries(c.agent.env).map(([k, v]) => [k, String(v)])),
    },
    edgeCa: {
      ...(c.edge_ca.cert !== undefined ? { certFile: path(c.edge_ca.cert)!, keyFile: path(c.edge_ca.pk)! } : {}),
      expiryDays: c.edge_ca.auto_generated_edge_ca_expiry_days,
      autoRenew: { rotateKey: renew.rotate_key, thresholdPercent: percentOf(renew.threshold), retryPercent: percentOf(renew.retry) },
    },
    moby: { uri: c.moby_runtime.uri, network: c.moby_runtime.network, runtimeId: c.moby_runtime.runtime_id, enabled: mobyConfigured || c.agent.type === 'docker' },
    ledge: {
      homeDir,
      workloadSocketDir: path(l.workload_socket_dir) ?? join(homeDir, 'mnt'),
      managementSocket: path(l.management_socket) ?? join(homeDir, 'mgmt.sock'),
      agentManagementSocket: path(l.agent_management_socket) ?? join(homeDir, 'private', 'mgmt-agent.sock'),
      modulesDir: path(l.modules_dir) ?? join(homeDir, 'modules'),
      hubHttpsPort: l.hub_https_port,
      ...(l.mqtt_port !== undefined ? { mqttPort: l.mqtt_port } : {}),
      moduleGateway: l.module_gateway,
      watchdogIntervalMs: l.watchdog_interval_secs * 1000,
      logLevel: l.log_level,
      ...(l.hub_ca_cert !== undefined ? { hubCaCertFile: path(l.hub_ca_cert)! } : {}),
      ...(upstreamGateway !== undefined ? { upstreamGateway } : {}),
      ...(l.workload_tcp_port !== undefined ? { workloadTcpPort: l.workload_tcp_port } : {}),
    },
  }
  if (c.parent_hostname !== undefined) config.parentHostname = c.parent_hostname
  if (c.trust_bundle_cert !== undefined) config.trustBundleCertFile = path(c.trust_bundle_cert)!
  return config
}
