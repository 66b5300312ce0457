/**
 * Which hub the CLI talks to, and as whom. In order: `--login`, `--data-dir`, LEDGE_HUB_CONNECTION_STRING,
 * LEDGE_HUB_DATA_DIR, then `.ledge/hub` (the data folder `ledge hub start` uses by default). A data folder's `hub.json`
 * (written by the hub, owner-only) gives the service connection string, the address to dial and the hub's CA.
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve, join } from 'node:path'
import { ConnectionStringError, parseServiceConnectionString, type HubInfoFile } from '@ledge/protocol'
import { errors } from './errors.js'

export const DEFAULT_DATA_DIR = '.ledge/hub'
/** IoT Hub's MQTT port; a device connection string names another one in GatewayHostName. */
export const STANDARD_MQTT_PORT = 8883

/** The flags every hub command takes. */
export interface LoginFlags {
  login?: string
  dataDir?: string
  hubUrl?: string
  caFile?: string
}

export type Env = Readonly<Record<string, string | undefined>>

/** The hub's `<data-dir>/hub.json`. */
export type HubInfo = HubInfoFile

export interface HubLogin {
  /** Where the login came from, for messages: `--login`, `LEDGE_HUB_CONNECTION_STRING` or a hub.json path. */
  source: string
  connectionString: string
  hostName: string
  policyName: string
  key: string
  /** The HTTPS endpoint of the REST API. */
  url: URL
  /** PEM text of the CA to trust instead of the system store, and where it came from. */
  ca?: { pem: string; file: string }
  /** Only known from a hub.json. */
  info?: HubInfo
}

function cannotRead(file: string, what: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException
  const why = e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)
  return errors.failure(`cannot read ${what} ${file}: ${why}`)
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw cannotRead(file, what, err)
  }
}

/** Reads and checks `<dir>/hub.json`; undefined when the file does not exist. */
export function readHubInfo(dir: string): HubInfo | undefined {
  const file = join(dir, 'hub.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    // hub.json is owner-only: it holds the iothubowner key.
    throw cannotRead(file, 'the hub file', err)
  }
  let v: Partial<HubInfo>
  try {
    v = JSON.parse(text) as Partial<HubInfo>
  } catch (err) {
    throw errors.failure(`${file} is not valid JSON: ${(err as Error).message}`)
  }
  const missing = (['hostName', 'bind', 'httpsPort', 'serviceConnectionString'] as const).filter((k) => v[k] === undefined || v[k] === '')
  if (missing.length) throw errors.failure(`${file} lacks ${missing.join(', ')}: start the hub again to rewrite it`)
  return v as HubInfo
}

function connectionFromString(text: string, source: string): Pick<HubLogin, 'connectionString' | 'hostName' | 'policyName' | 'key'> {
  try {
    const cs = parseServiceConnectionString(text.trim())
    return { connectionString: text.trim(), hostName: cs.hostName, policyName: cs.sharedAccessKeyName, key: cs.sharedAccessKey }
  } catch (err) {
    if (err instanceof ConnectionStringError) throw errors.usage(`${source} is not a service connection string (${err.message}); expected HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`)
    throw err
  }
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

/** Where to dial a hub on this machine: its bind address, or loopback when it listens on every address. */
export function localEndpoint(info: Pick<HubInfo, 'bind' | 'httpsPort'>): URL {
  const host = info.bind === '0.0.0.0' ? '127.0.0.1' : info.bind === '::' ? '::1' : info.bind
  return new URL(`https://${hostForUrl(host)}:${info.httpsPort}`)
}

function parseHubUrl(text: string, source: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw errors.usage(`${source} '${text}' is not a URL (expected https://host[:port])`)
  }
  if (url.protocol !== 'https:') throw errors.usage(`${source} must be an https:// URL, not '${text}'`)
  return new URL(`https://${url.host}`)
}

function noLogin(defaultDir: string): Error {
  return errors.usage(
    `no hub login: pass --login '<service connection string>' or set LEDGE_HUB_CONNECTION_STRING, ` +
      `or point --data-dir (LEDGE_HUB_DATA_DIR) at the data folder of a hub on this machine (no hub.json in ${defaultDir})`,
  )
}

/** Finds the login; throws a usage error that says how to log in when there is none. */
export function resolveLogin(flags: LoginFlags, env: Env, cwd: string): HubLogin {
  const envCs = env.LEDGE_HUB_CONNECTION_STRING?.trim() || undefined
  const envDir = env.LEDGE_HUB_DATA_DIR?.trim() || undefined
  let login: HubLogin
  if (flags.login !== undefined) {
    login = fromConnectionString(flags.login, '--login')
  } else if (flags.dataDir !== undefined) {
    login = fromDataDir(resolve(cwd, flags.dataDir), '--data-dir', true)
  } else if (envCs) {
    login = fromConnectionString(envCs, 'LEDGE_HUB_CONNECTION_STRING')
  } else if (envDir) {
    login = fromDataDir(resolve(cwd, envDir), 'LEDGE_HUB_DATA_DIR', true)
  } else {
    const dir = resolve(cwd, DEFAULT_DATA_DIR)
    login = fromDataDir(dir, 'the default data folder', false)
  }
  const hubUrl = flags.hubUrl ?? (env.LEDGE_HUB_URL?.trim() || undefined)
  if (hubUrl !== undefined) login.url = parseHubUrl(hubUrl, flags.hubUrl !== undefined ? '--hub-url' : 'LEDGE_HUB_URL')
  const caFile = flags.caFile ?? (env.LEDGE_HUB_CA_FILE?.trim() || undefined)
  if (caFile !== undefined) {
    const file = resolve(cwd, caFile)
    login.ca = { pem: readText(file, flags.caFile !== undefined ? '--ca-file' : 'LEDGE_HUB_CA_FILE'), file }
  }
  return login
}

function fromConnectionString(text: string, source: string): HubLogin {
  const c = connectionFromString(text, source)
  return { source, ...c, url: new URL(`https://${hostForUrl(c.hostName)}:443`) }
}

function fromDataDir(dir: string, source: string, explicit: boolean): HubLogin {
  const info = readHubInfo(dir)
  if (!info) {
    if (!explicit) throw noLogin(dir)
    throw errors.usage(`no hub.json in ${dir} (from ${source}): start the hub there with \`ledge hub start --data-dir ${dir}\`, or log in with --login`)
  }
  const file = join(dir, 'hub.json')
  const login: HubLogin = { source: file, ...connectionFromString(info.serviceConnectionString, file), url: localEndpoint(info), info }
  if (info.caFile) login.ca = { pem: readText(resolve(dir, info.caFile), 'the hub CA (caFile in hub.json)'), file: resolve(dir, info.caFile) }
  return login
}
