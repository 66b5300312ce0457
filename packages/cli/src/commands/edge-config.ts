/**
 * `ledge edge config mp --connection-string '…' [--config FILE] [--force]` writes a config file for manual
 * provisioning (as `iotedge config mp`); `ledge edge config apply [--config FILE]` validates it and tells the daemon
 * running on its home folder to re-read it (SIGHUP to the pid in `<home_dir>/edged.pid`). Invalid files are reported
 * with every problem, one per line, and exit 2.
 */
import { resolve } from 'node:path'
import { Command } from 'commander'
import type { CliIo } from '../context.js'
import { CliError, EXIT_USAGE, errors } from '../errors.js'
import { parseIntFlag } from '../flags.js'

type EdgeDaemon = typeof import('@ledge/edge-daemon')

interface MpOpts {
  connectionString: string
  config?: string
  force?: boolean
  hostname?: string
  homeDir?: string
  hubCaCert?: string
  mqttPort?: string
  hubHttpsPort?: string
  moduleGateway?: string
}

interface ApplyOpts {
  config?: string
}

/** The config file: --config, else LEDGE_EDGE_CONFIG, else /etc/ledge/config.toml. */
export function edgeConfigFile(pkg: EdgeDaemon, given: string | undefined, io: CliIo): string {
  return resolve(io.cwd, given ?? pkg.defaultConfigFile(io.env))
}

/** A ConfigError as a usage error with one `error:` line per problem. */
export function configProblems(pkg: EdgeDaemon, err: unknown): unknown {
  if (err instanceof pkg.ConfigError) {
    return new CliError(`invalid configuration ${err.file}`, EXIT_USAGE, { cause: err }, err.problems.map((p) => `${err.file}: ${p}`))
  }
  return err
}

export function edgeConfigCommand(io: CliIo): Command {
  const group = new Command('config').description('the edge daemon configuration (config.toml)')
  group
    .command('mp')
    .description('write a config file for manual provisioning with a device connection string (as iotedge config mp)')
    .requiredOption('-c, --connection-string <cs>', "the edge device's connection string")
    .option('--config <file>', 'the file to write (default: LEDGE_EDGE_CONFIG, else /etc/ledge/config.toml)')
    .option('--force', 'replace the file if it exists')
    .option('--hostname <name>', "the edge device's host name (default: this machine's name)")
    .option('--home-dir <dir>', 'ledge.home_dir: where the daemon keeps keys, certificates and sockets')
    .option('--hub-ca-cert <file>', "ledge.hub_ca_cert: the hub's CA when it is not in the system store")
    .option('--mqtt-port <port>', "ledge.mqtt_port: the hub's MQTT port when it is not 8883")
    .option('--hub-https-port <port>', "ledge.hub_https_port: the hub's REST port when it is not 443")
    .option('--module-gateway <where>', 'ledge.module_gateway: "edge_hub" (modules talk to the edge hub) or "upstream"')
    .action(async (o: MpOpts) => {
      const pkg = await import('@ledge/edge-daemon')
      const file = edgeConfigFile(pkg, o.config, io)
      const mqttPort = parseIntFlag('--mqtt-port', o.mqttPort, { min: 1, max: 65535 })
      const hubHttpsPort = parseIntFlag('--hub-https-port', o.hubHttpsPort, { min: 1, max: 65535 })
      if (o.moduleGateway !== undefined && o.moduleGateway !== 'edge_hub' && o.moduleGateway !== 'upstream') {
        throw errors.usage(`--module-gateway must be "edge_hub" or "upstream", not '${o.moduleGateway}'`)
      }
      try {
        await pkg.writeManualProvisioningConfig(file, {
          connectionString: o.connectionString,
          ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
          ...(o.homeDir !== undefined ? { homeDir: resolve(io.cwd, o.homeDir) } : {}),
          ...(o.hubCaCert !== undefined ? { hubCaCert: resolve(io.cwd, o.hubCaCert) } : {}),
          ...(mqttPort !== undefined ? { mqttPort } : {}),
          ...(hubHttpsPort !== undefined ? { hubHttpsPort } : {}),
          ...(o.moduleGateway !== undefined ? { moduleGateway: o.moduleGateway as 'edge_hub' | 'upstream' } : {}),
        }, o.force === true)
      } catch (err) {
        if (err instanceof pkg.ConfigError) throw configProblems(pkg, err)
        throw errors.failure((err as Error).message, err)
      }
      io.stderr.write(`wrote ${file} (mode 0600: it holds the device key)\nstart the daemon with: ledge edge start --config ${file}\n`)
    })
  group
    .command('apply')
    .description('validate the config file and tell the running daemon to re-read it (SIGHUP)')
    .option('--config <file>', 'the config file (default: LEDGE_EDGE_CONFIG, else /etc/ledge/config.toml)')
    .action(async (o: ApplyOpts) => {
      const pkg = await import('@ledge/edge-daemon')
      const file = edgeConfigFile(pkg, o.config, io)
      let result: Awaited<ReturnType<EdgeDaemon['applyConfig']>>
      try {
        result = await pkg.applyConfig(file)
      } catch (err) {
        throw configProblems(pkg, err)
      }
      for (const w of result.warnings) io.stderr.write(`warning: ${file}: ${w}\n`)
      if (result.status === 'signalled') {
        io.stderr.write(`${file} is valid; the edge daemon (pid ${result.pid}) is re-reading it\n`)
      } else {
        io.stderr.write(`${file} is valid; no edge daemon runs on ${result.config.ledge.homeDir} (start one with: ledge edge start --config ${file})\n`)
      }
    })
  return group
}
