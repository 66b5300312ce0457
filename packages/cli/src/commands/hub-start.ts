/**
 * `ledge hub start`: runs a hub in this process until Ctrl-C (SIGINT/SIGTERM stop it cleanly). Settings: the hub's
 * defaults (`LEDGE_HUB_*` environment), then these flags; every invalid setting is reported, one per line.
 */
import type { Command } from 'commander'
import { join, resolve } from 'node:path'
import type { HubSettingsInput, RunningHub } from '@ledge/hub'
import type { CliIo } from '../context.js'
import { CliError, EXIT_USAGE, errors } from '../errors.js'
import { parseIntFlag, parseNumberFlag } from '../flags.js'
import { DEFAULT_DATA_DIR } from '../login.js'

interface StartOpts {
  dataDir?: string
  store?: string
  storeSchema?: string
  hostname?: string
  bind?: string
  httpsPort?: string
  mqttPort?: string
  amqpPort?: string
  caCert?: string
  caKey?: string
  serverCert?: string
  serverKey?: string
  retentionHours?: string
  retentionMaxBytes?: string
  logLevel?: string
}

/** The settings input the flags give, over `defaults`; paths are resolved against `cwd`. */
export function hubSettingsFromFlags(o: StartOpts, defaults: HubSettingsInput, cwd: string): HubSettingsInput {
  const path = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(cwd, p))
  const port = (flag: string, v: string | undefined): number | undefined => parseIntFlag(flag, v, { min: 0, max: 65535 })
  const given: Partial<HubSettingsInput> = {
    dataDir: path(o.dataDir),
    store: o.store,
    storeSchema: o.storeSchema,
    hostName: o.hostname,
    bind: o.bind,
    httpsPort: port('--https-port', o.httpsPort),
    mqttPort: port('--mqtt-port', o.mqttPort),
    amqpPort: port('--amqp-port', o.amqpPort),
    caCertFile: path(o.caCert),
    caKeyFile: path(o.caKey),
    serverCertFile: path(o.serverCert),
    serverKeyFile: path(o.serverKey),
    retentionHours: parseNumberFlag('--retention-hours', o.retentionHours, { positive: true }),
    retentionMaxBytes: parseIntFlag('--retention-max-bytes', o.retentionMaxBytes, { min: 1 }),
    logLevel: o.logLevel as HubSettingsInput['logLevel'],
  }
  const merged: HubSettingsInput = { ...defaults, dataDir: resolve(cwd, defaults.dataDir) }
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v
  return merged
}

/** The flag for each setting, so `httpsPort: …` reads `--https-port: …`. */
const FLAG_OF: Readonly<Record<string, string>> = {
  dataDir: '--data-dir', store: '--store', storeSchema: '--store-schema', hostName: '--hostname', bind: '--bind', httpsPort: '--https-port', mqttPort: '--mqtt-port',
  amqpPort: '--amqp-port', caCertFile: '--ca-cert', caKeyFile: '--ca-key', serverCertFile: '--server-cert',
  serverKeyFile: '--server-key', retentionHours: '--retention-hours', retentionMaxBytes: '--retention-max-bytes', logLevel: '--log-level',
}

export function withFlagName(problem: string): string {
  const m = /^([A-Za-z]+)(:.*)$/s.exec(problem)
  const flag = m ? FLAG_OF[m[1]!] : undefined
  return flag ? `${flag}${m![2]}` : problem
}

function startError(err: unknown): Error {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number }
  const where = e.address !== undefined ? `${e.address}:${e.port}` : 'its address'
  if (e.code === 'EADDRINUSE') return errors.failure(`cannot listen on ${where}: the address is in use (another hub?); pick other ports with --https-port / --mqtt-port`)
  if (e.code === 'EACCES' && e.syscall === 'listen') {
    return errors.failure(`not allowed to listen on ${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE; or use --https-port 8443 --mqtt-port 8883`)
  }
  if (e.code === 'EADDRNOTAVAIL') return errors.failure(`cannot listen on ${where}: no such address on this machine (--bind)`)
  return err as Error
}

function started(io: CliIo, hub: RunningHub, dataDir: string): void {
  const shown = (h: string): string => (h.includes(':') ? `[${h}]` : h)
  const dir = resolve(dataDir)
  const how = dir === resolve(io.cwd, DEFAULT_DATA_DIR) ? 'ledge commands run in this folder find it' : `ledge commands: --data-dir ${dir}`
  io.stderr.write(
    [
      `hub '${hub.hostName}' started`,
      `  REST API, MQTT over WebSockets  https://${shown(hub.bind)}:${hub.httpsPort}`,
      `  MQTT over TLS                   mqtts://${shown(hub.bind)}:${hub.mqttPort}`,
      `  CA certificate                  ${hub.caFile}`,
      `  store                           ${hub.storeLocation}`,
      `  service login                   ${join(dir, 'hub.json')} (${how})`,
      'Ctrl-C stops it.',
    ].join('\n') + '\n',
  )
}

export function addHubStartCommand(hub: Command, io: CliIo): void {
  hub
    .command('start')
    .description('run a hub in this process until Ctrl-C')
    .option('--data-dir <dir>', 'where the hub keeps its database, certificates and hub.json (default: LEDGE_HUB_DATA_DIR or .ledge/hub)')
    .option('--store <url>', 'postgres://user:password@host:port/database to keep the registry, twins and events in PostgreSQL (default: LEDGE_HUB_STORE, or hub.db in the data folder)')
    .option('--store-schema <name>', 'the PostgreSQL schema for the hub\'s tables, created on first start (default: ledge)')
    .option('--hostname <name>', "the hub's host name, in certificates and connection strings (default: this machine's name)")
    .option('--bind <address>', 'IP address to listen on (default: 0.0.0.0)')
    .option('--https-port <port>', 'REST API and MQTT over WebSockets (default: 443)')
    .option('--mqtt-port <port>', 'MQTT over TLS (default: 8883)')
    .option('--amqp-port <port>', 'AMQP over TLS (default: 5671)')
    .option('--ca-cert <file>', 'CA certificate to issue the server certificate from (with --ca-key)')
    .option('--ca-key <file>', "that CA's private key")
    .option('--server-cert <file>', 'server certificate to use as it is (with --server-key)')
    .option('--server-key <file>', "that certificate's private key")
    .option('--retention-hours <h>', 'how long telemetry is kept for monitor-events (default: 24)')
    .option('--retention-max-bytes <n>', 'how much telemetry is kept at most (default: 1 GiB)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default: info)')
    .action(async (o: StartOpts) => {
      const hubPkg = await import('@ledge/hub')
      const input = hubSettingsFromFlags(o, hubPkg.defaultHubSettings(), io.cwd)
      try {
        await hubPkg.runHubProcess(input, (h) => started(io, h, input.dataDir))
      } catch (err) {
        if (err instanceof hubPkg.HubSettingsError) throw new CliError('invalid hub settings', EXIT_USAGE, { cause: err }, err.problems.map(withFlagName))
        throw startError(err)
      }
    })
}
