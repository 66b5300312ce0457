/**
 * What every command gets: the process's streams and environment (so tests run the program in-process), the shared
 * flags (`--login`, `--data-dir`, `--hub-url`, `--ca-file`, `--output`), and from them a {@link HubClient} and an
 * {@link Output}.
 */
import { Option, type Command } from 'commander'
import { HubClient } from './hub-client.js'
import { resolveLogin, type Env, type LoginFlags } from './login.js'
import { OUTPUT_FORMATS, Output, type OutputFormat, type Writer } from './output.js'

export interface CliIo {
  stdout: Writer
  stderr: Writer
  env: Env
  cwd: string
  /** Aborted on Ctrl-C: requests are cancelled, `monitor-events` stops. */
  signal: AbortSignal
}

export interface CommonFlags extends LoginFlags {
  output: OutputFormat
}

const OUTPUT_GROUP = 'Output:'
const LOGIN_GROUP = 'Hub login:'

export function addOutputOption(cmd: Command): Command {
  return cmd.addOption(new Option('-o, --output <format>', 'table or json').choices(OUTPUT_FORMATS).default('table').helpGroup(OUTPUT_GROUP))
}

/** Adds the login and output flags to a command that talks to the hub, after its own (and so last in its help). */
export function addHubOptions(cmd: Command): Command {
  const opt = (flags: string, description: string): Option => new Option(flags, description).helpGroup(LOGIN_GROUP)
  cmd
    .addOption(opt('-l, --login <connection-string>', 'service connection string of the hub (default: LEDGE_HUB_CONNECTION_STRING)'))
    .addOption(opt('--data-dir <dir>', 'data folder of a hub on this machine, whose hub.json gives the login (default: LEDGE_HUB_DATA_DIR, else .ledge/hub)'))
    .addOption(opt('--hub-url <url>', "the hub's HTTPS endpoint when not https://<HostName>:443 (default: LEDGE_HUB_URL)"))
    .addOption(opt('--ca-file <file>', "PEM file of the CA of the hub's certificate (default: LEDGE_HUB_CA_FILE, the hub.json's CA, else the system store)"))
  return addOutputOption(cmd)
}

/** A command action's view of the world. */
export class CommandContext<O extends object = Record<string, unknown>> {
  private clientCache: HubClient | undefined

  constructor(
    readonly io: CliIo,
    readonly opts: O & CommonFlags,
  ) {}

  get out(): Output {
    return new Output(this.io.stdout, this.opts.output ?? 'table')
  }

  /** The client, logged in as the flags and environment say (resolved on first use). */
  client(): HubClient {
    this.clientCache ??= new HubClient(resolveLogin(this.opts, this.io.env, this.io.cwd), { signal: this.io.signal })
    return this.clientCache
  }
}

/** Adds the hub options to `cmd` and sets its action to `fn`, with a {@link CommandContext} built from its options. */
export function act<O extends object>(cmd: Command, io: CliIo, fn: (ctx: CommandContext<O>) => Promise<void>): Command {
  return addHubOptions(cmd).action(async (_opts: unknown, command: Command) => {
    await fn(new CommandContext<O>(io, command.opts<O & CommonFlags>()))
  })
}
