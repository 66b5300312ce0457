/**
 * `ledge edge start [--config FILE]`: runs the edge daemon in this process until Ctrl-C or SIGTERM (which stop every
 * module with its grace period). SIGHUP, or `ledge edge config apply`, makes it re-read the config file.
 */
import type { Command } from 'commander'
import { useSmallFootprint } from '@ledge/common'
import type { CliIo } from '../context.js'
import { errors } from '../errors.js'
import { configProblems, edgeConfigFile } from './edge-config.js'

interface StartOpts {
  config?: string
}

export function addEdgeStartCommand(edge: Command, io: CliIo): void {
  edge
    .command('start')
    .description('run the edge daemon (workload and management APIs, the edge agent) until Ctrl-C')
    .option('--config <file>', 'the config file (default: LEDGE_EDGE_CONFIG, else /etc/ledge/config.toml)')
    .action(async (o: StartOpts) => {
      useSmallFootprint() // before the daemon's code loads: it idles, memory matters more than speed
      const pkg = await import('@ledge/edge-daemon')
      const file = edgeConfigFile(pkg, o.config, io)
      try {
        await pkg.runDaemonProcess(file, {
          onStarted: (d) => io.stderr.write([
            `edge daemon for device '${d.device.deviceId}' of hub '${d.device.iothubHostname}' started`,
            `  management API   unix://${d.config.ledge.managementSocket}`,
            `  workload sockets ${d.config.ledge.workloadSocketDir}`,
            `  home             ${d.config.ledge.homeDir}`,
            'Ctrl-C stops it and its modules.',
          ].join('\n') + '\n'),
        })
      } catch (err) {
        const e = configProblems(pkg, err)
        if (e !== err) throw e
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EACCES' || code === 'EPERM') {
          throw errors.failure(`${(err as Error).message}: run as root, or set [ledge] home_dir in ${file} to a folder you may write`, err)
        }
        throw errors.failure((err as Error).message, err)
      }
    })
}
