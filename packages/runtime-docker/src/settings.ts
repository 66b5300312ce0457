/**
 * A `docker` module's config, checked and turned into the body of Docker's `POST /containers/create`, the way Azure's
 * edgelet-docker builds it: the manifest's `createOptions` (a stringified ContainerCreate body, possibly split into
 * createOptions01…99), the image from `settings.image`, env from the config on top of createOptions' `Env`, the
 * `net.azure-devices.edge.*` labels, the workload (and management) sockets bind-mounted where the env says, and the
 * module on the runtime's network.
 */
import { posix } from 'node:path'
import type { ContainerCreateOptions } from 'dockerode'
import type { ModuleConfig } from '@ledge/module-runtime'
import { moduleErrors } from '@ledge/module-runtime'
import { IOTEDGE_ENV, joinCreateOptions } from '@ledge/protocol'

export const DOCKER_TYPE = 'docker'
/** Docker's own default between the stop signal and SIGKILL. */
export const DEFAULT_STOP_GRACE_MS = 10_000
/** Azure's network for modules (`[moby_runtime] network`). */
export const DEFAULT_NETWORK = 'azure-iot-edge'
export const EDGE_HUB = 'edgeHub'

/** Labels on every module container. The `net.azure-devices.edge.*` ones are Azure's; `ledge.*` are the runtime's. */
export const LABELS = {
  owner: 'net.azure-devices.edge.owner',
  version: 'net.azure-devices.edge.version',
  createOptions: 'net.azure-devices.edge.create-options',
  env: 'net.azure-devices.edge.env',
  /** Which runtime instance owns the container: `list` sees only its own. */
  runtimeId: 'ledge.runtime-id',
  module: 'ledge.module',
  /** The ModuleConfig as given to `create` (without `settings.auth`), JSON: what `get` answers with. */
  config: 'ledge.module-config',
} as const
export const OWNER = 'Microsoft.Azure.Devices.Edge.Agent'
/** Where the version label's value may come from in `config.labels` (Azure's, then Ledge's agent's). */
const VERSION_SOURCES = [LABELS.version, 'net.ledge.edge.version']
/** Env the daemon adds to every module: not part of the `net.azure-devices.edge.env` label (the deployment's env). */
const DAEMON_ENV = /^(IOTEDGE_.*|EdgeDeviceHostName|Mode|LEDGE_AGENT_STATE_DIR|RuntimeLogLevel|UpstreamProtocol)$/
/** Host paths the daemon names in the env, bind-mounted at the same path: sockets (unix://…) and the agent's state. */
const MOUNTED_ENV = [IOTEDGE_ENV.workloadUri, IOTEDGE_ENV.managementUri, 'LEDGE_AGENT_STATE_DIR'] as const

/** Docker's container-name rule (and the daemon's module names): letters, digits, `.`, `_`, `-`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const CHUNK = /^createOptions\d\d$/

/** Pull credentials, as Docker's X-Registry-Auth (the agent fills them from the runtime's `registryCredentials`). */
export interface RegistryAuth {
  username: string
  password: string
  serveraddress: string
}

export interface DockerSettings {
  image: string
  /** The joined createOptions, parsed (an empty object when there are none). */
  createOptions: Record<string, unknown>
  /** The joined createOptions text, as the `create-options` label keeps it. */
  createOptionsText: string
  auth?: RegistryAuth
}

interface Problem {
  setting: string
  problem: string
}

export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name)
}

/** Checks the config's shape and settings; throws ERR_MODULE_INVALID naming every bad setting at once. */
export function parseSettings(config: ModuleConfig): DockerSettings {
  const problems: Problem[] = []
  if (!isValidName(config.name)) problems.push({ setting: 'name', problem: `${JSON.stringify(config.name)} must be letters, digits, '.', '_' or '-', starting with a letter or digit, at most 128 characters` })
  if (config.type !== DOCKER_TYPE) problems.push({ setting: 'type', problem: `is '${String(config.type)}', this runtime runs '${DOCKER_TYPE}' modules` })
  if (config.imagePullPolicy !== undefined && config.imagePullPolicy !== 'on-create' && config.imagePullPolicy !== 'never') {
    problems.push({ setting: 'imagePullPolicy', problem: `must be 'on-create' or 'never', not ${JSON.stringify(config.imagePullPolicy)}` })
  }
  for (const [k, v] of Object.entries(config.env ?? {})) {
    if (k === '' || k.includes('=') || k.includes('\0')) problems.push({ setting: `env.${k}`, problem: 'is not a valid environment variable name' })
    else if (typeof v !== 'string' || v.includes('\0')) problems.push({ setting: `env.${k}`, problem: 'must be a string without NUL' })
  }
  for (const [k, v] of Object.entries(config.labels ?? {})) if (typeof v !== 'string') problems.push({ setting: `labels.${k}`, problem: 'must be a string' })

  const s = (config.settings ?? {}) as Record<string, unknown>
  const image = s.image
  if (typeof image !== 'string' || image.trim() === '') problems.push({ setting: 'settings.image', problem: 'must be a non-empty image reference' })
  else if (/\s/.test(image)) problems.push({ setting: 'settings.image', problem: `'${image}' is not an image reference (it has white space)` })

  const { parsed, text } = createOptionsOf(s, problems)
  const auth = authOf(s.auth, problems)
  if (problems.length > 0) throw moduleErrors.invalid(String(config.name), problems)
  return { image: image as string, createOptions: parsed, createOptionsText: text, ...(auth ? { auth } : {}) }
}

/** createOptions as a string (joined with createOptions01…99) or, from a TOML `[agent.config]`, as a table. */
function createOptionsOf(s: Record<string, unknown>, problems: Problem[]): { parsed: Record<string, unknown>; text: string } {
  const raw = s.createOptions
  if (raw !== undefined && typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    checkCreateOptions(raw as Record<string, unknown>, problems)
    return { parsed: raw as Record<string, unknown>, text: JSON.stringify(raw) }
  }
  if (raw !== undefined && typeof raw !== 'string') {
    problems.push({ setting: 'settings.createOptions', problem: 'must be a string (stringified Docker create options) or an object' })
    return { parsed: {}, text: '' }
  }
  for (const k of Object.keys(s).filter((k) => CHUNK.test(k))) {
    if (typeof s[k] !== 'string') problems.push({ setting: `settings.${k}`, problem: 'must be a string (a part of createOptions)' })
    else if (raw === undefined) problems.push({ setting: `settings.${k}`, problem: 'continues settings.createOptions, which is missing' })
  }
  const text = joinCreateOptions(s) ?? ''
  if (text.trim() === '') return { parsed: {}, text }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    problems.push({ setting: 'settings.createOptions', problem: `is not valid JSON (${(err as Error).message})` })
    return { parsed: {}, text }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ setting: 'settings.createOptions', problem: 'must be a JSON object (Docker create options)' })
    return { parsed: {}, text }
  }
  checkCreateOptions(parsed as Record<string, unknown>, problems)
  return { parsed: parsed as Record<string, unknown>, text }
}

type Check = (v: unknown) => boolean
const isStr: Check = (v) => typeof v === 'string'
const isObj: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v)
const isStrArray: Check = (v) => Array.isArray(v) && v.every(isStr)
const isStrOrArray: Check = (v) => v === null || isStr(v) || isStrArray(v)
const isBool: Check = (v) => typeof v === 'boolean'
const isUint: Check = (v) => Number.isInteger(v) && (v as number) >= 0
const isStrRecord: Check = (v) => isObj(v) && Object.values(v as object).every(isStr)

/** The fields Docker rejects or misreads when they have the wrong type (others pass through, as Azure passes them). */
const TOP_LEVEL: Record<string, [Check, string]> = {
  Cmd: [isStrOrArray, 'a string or an array of strings'],
  Entrypoint: [isStrOrArray, 'a string or an array of strings'],
  Env: [isStrArray, 'an array of "NAME=value" strings'],
  Labels: [isStrRecord, 'an object of string values'],
  ExposedPorts: [isObj, 'an object ({"8080/tcp": {}})'],
  Volumes: [isObj, 'an object'],
  HostConfig: [isObj, 'an object'],
  NetworkingConfig: [isObj, 'an object'],
  Healthcheck: [isObj, 'an object'],
  User: [isStr, 'a string'],
  WorkingDir: [isStr, 'a string'],
  Hostname: [isStr, 'a string'],
  Domainname: [isStr, 'a string'],
  StopSignal: [isStr, 'a string'],
  StopTimeout: [isUint, 'a whole number of seconds'],
  Tty: [isBool, 'true or false'],
}
const HOST_CONFIG: Record<string, [Check, string]> = {
  Binds: [isStrArray, 'an array of "host:container[:options]" strings'],
  Mounts: [(v) => Array.isArray(v) && v.every(isObj), 'an array of mount objects'],
  PortBindings: [isObj, 'an object ({"8080/tcp": [{"HostPort": "80"}]})'],
  NetworkMode: [isStr, 'a string'],
  Privileged: [isBool, 'true or false'],
  Memory: [isUint, 'a number of bytes'],
  RestartPolicy: [isObj, 'an object'],
}

function checkCreateOptions(o: Record<string, unknown>, problems: Problem[]): void {
  const check = (table: Record<string, [Check, string]>, obj: Record<string, unknown>, prefix: string) => {
    for (const [key, [ok, what]] of Object.entries(table)) {
      if (obj[key] !== undefined && !ok(obj[key])) problems.push({ setting: `${prefix}${key}`, problem: `must be ${what}, not ${JSON.stringify(obj[key])}` })
    }
  }
  check(TOP_LEVEL, o, 'settings.createOptions.')
  if (isObj(o.HostConfig)) check(HOST_CONFIG, o.HostConfig as Record<string, unknown>, 'settings.createOptions.HostConfig.')
  if (Array.isArray(o.Env)) {
    for (const e of o.Env) if (typeof e === 'string' && (e === '' || e.startsWith('='))) problems.push({ setting: 'settings.createOptions.Env', problem: `has an entry without a name: ${JSON.stringify(e)}` })
  }
  const hc = o.Healthcheck as Record<string, unknown> | undefined
  if (isObj(hc) && hc!.Test !== undefined && !isStrArray(hc!.Test)) problems.push({ setting: 'settings.createOptions.Healthcheck.Test', problem: 'must be an array of strings (["CMD", …], ["CMD-SHELL", "…"] or ["NONE"])' })
}

function authOf(v: unknown, problems: Problem[]): RegistryAuth | undefined {
  if (v === undefined) return undefined
  const a = v as Record<string, unknown>
  if (!isObj(v) || !isStr(a.username) || !isStr(a.password) || !(isStr(a.serveraddress) || isStr(a.address))) {
    problems.push({ setting: 'settings.auth', problem: 'must be {username, password, serveraddress}' })
    return undefined
  }
  return { username: a.username as string, password: a.password as string, serveraddress: (a.serveraddress ?? a.address) as string }
}

/** `config` without the pull credentials: what the container's label keeps, and what `get` answers with. */
export function storedConfig(config: ModuleConfig): ModuleConfig {
  const copy = structuredClone(config)
  if (copy.settings && 'auth' in copy.settings) {
    const { auth: _auth, ...rest } = copy.settings
    copy.settings = rest
  }
  return copy
}

export interface CreateContext {
  containerName: string
  runtimeId: string
  /** The network modules join unless createOptions say otherwise (`HostConfig.NetworkMode`). */
  network: string
  /** The device host name: the edge hub's alias on a user network, so that modules reach it by that name. */
  hostname?: string
}

/** Docker networks that are not user networks: no aliases, nothing to create. */
export const BUILTIN_NETWORKS = new Set(['host', 'none', 'bridge', 'default'])

/** The network mode a module's container will have. */
export function networkOf(s: DockerSettings, ctx: Pick<CreateContext, 'network'>): string {
  const mode = (s.createOptions.HostConfig as { NetworkMode?: string } | undefined)?.NetworkMode
  return mode ?? ctx.network
}

/** The body of `POST /containers/create?name=…`. */
export function createBody(config: ModuleConfig, s: DockerSettings, ctx: CreateContext): ContainerCreateOptions {
  const o = structuredClone(s.createOptions) as ContainerCreateOptions & Record<string, unknown>
  const env = new Map<string, string>()
  for (const e of (o.Env ?? []) as string[]) {
    const i = e.indexOf('=')
    env.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1))
  }
  for (const [k, v] of Object.entries(config.env ?? {})) env.set(k, v)

  const network = networkOf(s, ctx)
  const hostConfig = { ...(o.HostConfig ?? {}), NetworkMode: network }
  const mounts = [...(hostConfig.Mounts ?? [])]
  for (const name of MOUNTED_ENV) {
    let path = hostPathOf(config.env?.[name])
    if (path && name === IOTEDGE_ENV.workloadUri) path = workloadMountOf(path, config.name)
    if (path && !mounts.some((m) => m.Target === path)) mounts.push({ Type: 'bind', Source: path, Target: path })
  }
  if (mounts.length > 0) hostConfig.Mounts = mounts

  const body: ContainerCreateOptions = {
    ...o,
    Image: s.image,
    Env: [...env].map(([k, v]) => `${k}=${v}`),
    Labels: { ...(o.Labels ?? {}), ...config.labels, ...azureLabels(config, s), ...ledgeLabels(config, ctx) },
    HostConfig: hostConfig,
  }
  if (config.name === EDGE_HUB && ctx.hostname && !BUILTIN_NETWORKS.has(network) && !network.startsWith('container:')) {
    const endpoints = { ...(o.NetworkingConfig?.EndpointsConfig ?? {}) }
    const ep = endpoints[network] ?? {}
    endpoints[network] = { ...ep, Aliases: [...new Set([...(ep.Aliases ?? []), ctx.hostname])] }
    body.NetworkingConfig = { ...o.NetworkingConfig, EndpointsConfig: endpoints }
  }
  return body
}

/**
 * What to mount for the workload socket: its folder when the folder is the module's own (`…/<module>/workload.sock`,
 * the daemon's layout), else the socket file. A file bind mount pins the inode the container started with, so a
 * socket the daemon binds again (a daemon restart) would stay out of reach of a container that kept running; a
 * folder mount sees the new one. Only a folder named after the module is mounted: a shared folder would show the
 * container other modules' sockets.
 */
export function workloadMountOf(socketPath: string, moduleName: string): string {
  const folder = posix.dirname(socketPath)
  return posix.basename(folder) === moduleName ? folder : socketPath
}

/** `unix:///a/b.sock` → `/a/b.sock`; an absolute path as it is; anything else (tcp://…) is not mounted. */
function hostPathOf(v: string | undefined): string | undefined {
  if (!v) return undefined
  if (v.startsWith('unix://')) return v.slice('unix://'.length) || undefined
  return v.startsWith('/') ? v : undefined
}

function azureLabels(config: ModuleConfig, s: DockerSettings): Record<string, string> {
  const version = VERSION_SOURCES.map((k) => config.labels?.[k]).find((v) => v !== undefined) ?? ''
  const env = Object.fromEntries(Object.entries(config.env ?? {}).filter(([k]) => !DAEMON_ENV.test(k)).map(([k, v]) => [k, { value: v }]))
  return { [LABELS.owner]: OWNER, [LABELS.version]: version, [LABELS.createOptions]: s.createOptionsText, [LABELS.env]: JSON.stringify(env) }
}

function ledgeLabels(config: ModuleConfig, ctx: CreateContext): Record<string, string> {
  return { [LABELS.runtimeId]: ctx.runtimeId, [LABELS.module]: config.name, [LABELS.config]: JSON.stringify(storedConfig(config)) }
}

/** The stop grace of a container: its createOptions' `StopTimeout` (seconds), else Docker's 10 s. */
export function graceMsOf(config: ModuleConfig): number {
  try {
    const t = parseSettings(config).createOptions.StopTimeout
    if (typeof t === 'number' && t >= 0) return t * 1000
  } catch {
    /* a config this runtime did not create */
  }
  const g = config.settings?.stopGraceSeconds
  return typeof g === 'number' && g >= 0 ? g * 1000 : DEFAULT_STOP_GRACE_MS
}
