/**
 * `ledge system status|logs|restart` (as `iotedge system`), about the edge daemon itself:
 * - `status`: its pid (`<home_dir>/edged.pid`), uptime, version and modules (from the management API), its socket and
 *   what supervises it. Exits 1 when it is not running.
 * - `logs`: the daemon logs to its standard output. Under systemd that is the unit's journal (read with journalctl);
 *   redirected to a file, that file; otherwise it is a terminal or a pipe this command cannot read, so it says so and
 *   shows the edge agent's log instead.
 * - `restart`: under systemd, `systemctl restart <unit>`. Otherwise SIGTERM, wait for the daemon to stop its modules
 *   and exit, then say that nothing starts it again and how to (exit 1): the daemon cannot restart itself.
 */
import { spawn } from 'node:child_process'
import { open, stat } from 'node:fs/promises'
import type { Command } from 'commander'
import type { ModuleList, SystemInfo } from '@ledge/protocol'
import { addOutputOption, CommandContext, type CliIo, type CommonFlags } from '../../context.js'
import { CliError, EXIT_FAILURE, errors } from '../../errors.js'
import { parseIntFlag } from '../../flags.js'
import type { Writer } from '../../output.js'
import { addLogOptions, logQueryOf, streamModuleLogs, type LogQuery } from './logs.js'
import { isAlive, logDestinationOf, systemdUnitOf } from './supervisor.js'
import { humanizeDuration } from './time.js'
import { addTargetOptions, DeviceTarget, type TargetFlags } from './target.js'

export interface SystemStatus {
  running: boolean
  pid?: number
  pidFile?: string
  socket?: string
  socketAnswers: boolean
  socketError?: string
  version?: string
  uptimeSeconds?: number
  modules?: { total: number; running: number }
  homeDir?: string
  config?: string
  systemdUnit?: string
}

const STATUS_TIMEOUT_MS = 5000
const RESTART_TIMEOUT_S = 60

export async function systemStatus(target: DeviceTarget): Promise<SystemStatus> {
  const s: SystemStatus = { running: false, socketAnswers: false }
  const a = await target.tryConfig()
  if (a.loaded) {
    const pkg = await target.pkg()
    const home = a.loaded.config.ledge.homeDir
    s.homeDir = home
    s.config = a.loaded.config.file
    s.pidFile = pkg.pidFilePath(home)
    const pid = await pkg.runningDaemonPid(home)
    if (pid !== undefined) s.pid = pid
  }
  try {
    const client = await target.client({ timeoutMs: STATUS_TIMEOUT_MS })
    s.socket = client.uri
    const info = await client.json<SystemInfo>('GET', '/systeminfo')
    s.socketAnswers = true
    s.version = info.version
    const [res, list] = await Promise.all([
      client.json<{ process_uptime?: number }>('GET', '/systeminfo/resources').catch(() => undefined),
      client.json<ModuleList>('GET', '/modules').catch(() => undefined),
    ])
    if (typeof res?.process_uptime === 'number') s.uptimeSeconds = res.process_uptime
    if (list) s.modules = { total: list.modules.length, running: list.modules.filter((m) => m.status.runtimeStatus.status === 'running').length }
  } catch (err) {
    s.socketError = (err as Error).message
  }
  s.running = s.pid !== undefined || s.socketAnswers
  if (s.pid !== undefined) {
    const unit = systemdUnitOf(s.pid)
    if (unit) s.systemdUnit = unit
  }
  return s
}

function statusFields(s: SystemStatus): [string, unknown][] {
  const state = !s.running ? 'not running' : s.pid !== undefined ? `running (pid ${s.pid})` : 'running (pid unknown: no config file to find edged.pid)'
  return [
    ['Status', state],
    ['Uptime', s.uptimeSeconds === undefined ? undefined : humanizeDuration(s.uptimeSeconds * 1000)],
    ['Version', s.version],
    ['Modules', s.modules ? `${s.modules.total} (${s.modules.running} running)` : undefined],
    ['Socket', s.socket ? `${s.socket}${s.socketAnswers ? '' : ' (not answering)'}` : undefined],
    ['Home', s.homeDir],
    ['Config', s.config],
    ['Supervisor', !s.running || s.pid === undefined ? undefined : s.systemdUnit ? `systemd unit ${s.systemdUnit}` : 'none (started by hand: ledge edge start)'],
  ]
}

function startCommand(config: string | undefined): string {
  return `ledge edge start${config ? ` --config ${config}` : ''}`
}

/** The running daemon's pid and config, or one clear line. */
async function runningDaemon(target: DeviceTarget): Promise<{ pid: number; config: string; homeDir: string }> {
  const a = await target.tryConfig()
  if (a.error) throw new CliError(`the daemon's pid is found through its config file: ${a.error.message}`, EXIT_FAILURE, { cause: a.error })
  const pkg = await target.pkg()
  const home = a.loaded.config.ledge.homeDir
  const pid = await pkg.runningDaemonPid(home)
  if (pid === undefined) {
    throw errors.failure(`the edge daemon is not running (no live pid in ${pkg.pidFilePath(home)}); start it with: ${startCommand(a.loaded.config.file)}`)
  }
  return { pid, config: a.loaded.config.file, homeDir: home }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done(): void {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/** Runs a command with its output copied to `out`/`err`; Ctrl-C stops it (resolves with 0). */
function run(cmd: string, args: string[], io: CliIo, out: Writer = io.stdout): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const onAbort = (): void => void child.kill('SIGTERM')
    io.signal.addEventListener('abort', onAbort, { once: true })
    child.stdout.setEncoding('utf8').on('data', (s: string) => out.write(s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => io.stderr.write(s))
    child.on('error', (err: NodeJS.ErrnoException) => {
      io.signal.removeEventListener('abort', onAbort)
      reject(err.code === 'ENOENT' ? errors.failure(`${cmd} is not installed`) : err)
    })
    child.on('close', (code) => {
      io.signal.removeEventListener('abort', onAbort)
      resolve(io.signal.aborted ? 0 : code ?? 1)
    })
  })
}

function journalArgs(unit: string, q: LogQuery): string[] {
  const args = ['-u', unit, '--no-pager']
  if (q.tail !== undefined) args.push('-n', String(q.tail))
  if (q.since !== undefined) args.push('--since', `@${Math.floor(q.since / 1000)}`)
  if (q.until !== undefined) args.push('--until', `@${Math.ceil(q.until / 1000)}`)
  if (q.follow) args.push('-f')
  return args
}

/** pino lines carry an ISO `time`; lines without one are kept. */
function lineTime(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const t = (JSON.parse(line) as { time?: unknown }).time
    return typeof t === 'string' ? Date.parse(t) : typeof t === 'number' ? t : undefined
  } catch {
    return undefined
  }
}

/** The daemon's log file: the lines in range, the last `tail`, then (with follow) what is appended, until Ctrl-C. */
async function showLogFile(path: string, q: LogQuery, io: CliIo): Promise<void> {
  const inRange = (l: string): boolean => {
    const t = lineTime(l)
    return t === undefined || ((q.since === undefined || t >= q.since) && (q.until === undefined || t <= q.until))
  }
  const fh = await open(path, 'r')
  try {
    let pos = (await fh.stat()).size
    const all = (await fh.readFile({ encoding: 'utf8' })).split('\n')
    if (all.at(-1) === '') all.pop()
    let lines = all.filter(inRange)
    if (q.tail !== undefined) lines = q.tail === 0 ? [] : lines.slice(-q.tail)
    for (const l of lines) io.stdout.write(`${l}\n`)
    let partial = ''
    while (q.follow && !io.signal.aborted) {
      await sleep(500, io.signal)
      const size = (await stat(path)).size
      if (size < pos) pos = 0 // rotated or truncated
      if (size === pos) continue
      const buf = Buffer.alloc(size - pos)
      await fh.read(buf, 0, buf.length, pos)
      pos = size
      const text = partial + buf.toString('utf8')
      const parts = text.split('\n')
      partial = parts.pop() ?? ''
      for (const l of parts) if (inRange(l)) io.stdout.write(`${l}\n`)
    }
  } finally {
    await fh.close()
  }
}

export function systemCommand(program: Command, io: CliIo): void {
  const group = program.command('system').description('the edge daemon itself: status, logs, restart (as iotedge system)')

  addOutputOption(addTargetOptions(group.command('status').description("show whether the edge daemon runs, its pid, uptime, version and modules")))
    .action(async (_o: unknown, c: Command) => {
      const opts = c.opts<TargetFlags & CommonFlags>()
      const target = new DeviceTarget(io, opts)
      const s = await systemStatus(target)
      new CommandContext<TargetFlags>(io, opts).out.record(s, statusFields)
      if (!s.running) {
        if (!s.pidFile) throw errors.failure(`the edge daemon is not running: ${s.socketError ?? 'its management socket does not answer'}`)
        throw errors.failure(`the edge daemon is not running (no live pid in ${s.pidFile}); start it with: ${startCommand(s.config)}`)
      }
      if (!s.socketAnswers) throw errors.failure(`the edge daemon (pid ${s.pid}) runs, but ${s.socketError ?? 'its management socket does not answer'}`)
    })

  addTargetOptions(addLogOptions(group.command('logs').description("show the edge daemon's own log (the journal of its systemd unit, or the file it writes to)")))
    .action(async (_o: unknown, c: Command) => {
      const opts = c.opts<TargetFlags & { tail?: string; since?: string; until?: string; follow?: boolean; timestamps?: boolean }>()
      const q = logQueryOf(opts)
      const target = new DeviceTarget(io, opts)
      const d = await runningDaemon(target)
      const dest = logDestinationOf(d.pid, systemdUnitOf(d.pid))
      if (dest.kind === 'journal') {
        const code = await run('journalctl', journalArgs(dest.unit, q), io)
        if (code !== 0) throw errors.failure(`journalctl -u ${dest.unit} exited with ${code}`)
        return
      }
      if (dest.kind === 'file') return showLogFile(dest.path, q, io)
      const agent = (await target.config()).config.agent.name
      io.stderr.write([
        `The edge daemon (pid ${d.pid}) writes its log to its standard output, which is ${dest.target}: the terminal, pipe or socket of`,
        'whoever ran `ledge edge start`, which this command cannot read. Run it under systemd (then this command reads the',
        `journal) or redirect its output to a file. Here is the log of the edge agent ('${agent}') instead:`,
      ].join('\n') + '\n')
      await streamModuleLogs(await target.client(), agent, q, io.stdout, io.signal)
    })

  addTargetOptions(group.command('restart').description('restart the edge daemon (systemctl restart under systemd; otherwise stop it and say how to start it)'))
    .option('--timeout <s>', 'seconds to wait for the daemon to stop (its modules get their grace periods) and start', String(RESTART_TIMEOUT_S))
    .action(async (_o: unknown, c: Command) => {
      const opts = c.opts<TargetFlags & { timeout: string }>()
      const timeoutMs = parseIntFlag('--timeout', opts.timeout, { min: 1 })! * 1000
      const target = new DeviceTarget(io, opts)
      const pkg = await target.pkg()
      const d = await runningDaemon(target)
      const unit = systemdUnitOf(d.pid)
      if (unit) {
        io.stderr.write(`restarting the edge daemon (pid ${d.pid}, systemd unit ${unit})\n`)
        const code = await run('systemctl', ['restart', unit], io, io.stderr)
        if (code !== 0) throw errors.failure(`systemctl restart ${unit} exited with ${code}`)
        const until = Date.now() + timeoutMs
        const client = await target.client({ timeoutMs: 2000 })
        for (;;) {
          const pid = await pkg.runningDaemonPid(d.homeDir)
          const answers = pid !== undefined && pid !== d.pid && (await client.json('GET', '/systeminfo').then(() => true, () => false))
          if (answers) {
            io.stderr.write(`the edge daemon runs again (pid ${pid})\n`)
            return
          }
          if (io.signal.aborted) throw new CliError('cancelled', 130)
          if (Date.now() > until) throw errors.failure(`the edge daemon did not answer on its management socket within ${timeoutMs / 1000} s after the restart: see journalctl -u ${unit}`)
          await sleep(250, io.signal)
        }
      }
      io.stderr.write(`sending SIGTERM to the edge daemon (pid ${d.pid}); it stops its modules first\n`)
      process.kill(d.pid, 'SIGTERM')
      const until = Date.now() + timeoutMs
      while (isAlive(d.pid)) {
        if (io.signal.aborted) throw new CliError('cancelled', 130)
        if (Date.now() > until) throw errors.failure(`the edge daemon (pid ${d.pid}) did not stop within ${timeoutMs / 1000} s`)
        await sleep(200, io.signal)
      }
      throw errors.failure(`the edge daemon (pid ${d.pid}) stopped, but it cannot restart itself and no systemd unit supervises it: start it with: ${startCommand(d.config)}`)
    })
}
