/**
 * `ledge support-bundle [--output FILE] [--since T] [--until T]` (as `iotedge support-bundle`): a zip of what a
 * person helping with the device needs, with secrets removed (see redact.ts):
 *
 * | Entry | What |
 * |---|---|
 * | `logs/<module>_log.txt` | each module's log since `--since` (default 1 day), with timestamps |
 * | `check.json` | `ledge check -o json` |
 * | `modules.json` | `GET /modules` |
 * | `systeminfo.json`, `systeminfo-resources.json` | `GET /systeminfo`, `GET /systeminfo/resources` |
 * | `system-status.json` | `ledge system status -o json` |
 * | `config.toml` | the config file, redacted |
 * | `bundle-errors.txt` | what could not be collected (the daemon was down, …), when anything |
 *
 * It is best effort: with the daemon down the bundle still has the config and the checks. Prints the file's path.
 */
import { createWriteStream } from 'node:fs'
import { readFile, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Command } from 'commander'
import { ZipFile } from 'yazl'
import type { ModuleList } from '@ledge/protocol'
import type { CliIo } from '../../context.js'
import { errors } from '../../errors.js'
import { runChecks } from './checks.js'
import { readModuleLogs } from './logs.js'
import type { ManagementClient } from './mgmt-client.js'
import { redactConfigToml, redactText, secretsInJson } from './redact.js'
import { systemStatus } from './system.js'
import { parseTimeFlag } from './time.js'
import { addTargetOptions, DeviceTarget, type TargetFlags } from './target.js'

interface BundleOpts extends TargetFlags {
  output: string
  since: string
  until?: string
}

export const DEFAULT_BUNDLE_FILE = 'support_bundle.zip'
/** Module names become file names: anything but letters, digits, `_`, `.` and `-` is replaced. */
const fileSafe = (s: string): string => s.replace(/[^\w.-]/g, '_')

/** Every secret value this device holds that can be read: the device key, and the module keys the daemon caches. */
async function knownSecrets(target: DeviceTarget): Promise<string[]> {
  const out: string[] = []
  const loaded = (await target.tryConfig()).loaded
  if (!loaded) return out
  const c = loaded.config
  const read = (f: string): Promise<string | undefined> => readFile(f, 'utf8').then((t) => t, () => undefined)
  const k = c.provisioning.deviceKey
  if ('value' in k) out.push(k.value)
  else {
    const v = await read(k.file)
    if (v) out.push(v.trim())
  }
  const stored = await read(join(c.ledge.homeDir, 'keys', 'device.key'))
  if (stored) out.push(stored.trim())
  const modules = await read(join(c.ledge.homeDir, 'keys', 'module-identities.json'))
  if (modules) {
    try {
      secretsInJson(JSON.parse(modules), out)
    } catch {
      /* a broken cache holds nothing usable */
    }
  }
  return out
}

export function addSupportBundleCommand(program: Command, io: CliIo): void {
  addTargetOptions(program.command('support-bundle').description('write a zip of module logs, checks, module list, system info and the redacted config (as iotedge support-bundle)'))
    .option('--output <file>', 'the zip file to write', DEFAULT_BUNDLE_FILE)
    .option('--since <time>', 'module logs since this time: ISO time, Unix seconds or a duration back from now (10m, 1h, 2d)', '1d')
    .option('--until <time>', 'module logs until this time (same forms as --since)')
    .action(async (_o: unknown, c: Command) => {
      const o = c.opts<BundleOpts>()
      const since = parseTimeFlag('--since', o.since)
      const until = o.until === undefined ? undefined : parseTimeFlag('--until', o.until)
      const file = resolve(io.cwd, o.output)
      const target = new DeviceTarget(io, o)
      const secrets = await knownSecrets(target)
      const entries: [string, string][] = []
      const problems: string[] = []
      const add = (name: string, text: string): void => void entries.push([name, redactText(text, secrets)])
      const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n'
      const attempt = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await f()
        } catch (err) {
          if (io.signal.aborted) throw err
          problems.push(`${what}: ${(err as Error).message}`)
          return undefined
        }
      }

      io.stderr.write('running the checks…\n')
      add('check.json', json(await runChecks(target)))
      add('system-status.json', json(await systemStatus(target)))

      const configFile = await target.configFile()
      const configText = await attempt('config.toml', () => readFile(configFile, 'utf8'))
      if (configText !== undefined) entries.push(['config.toml', redactConfigToml(configText, secrets)])

      const client = await attempt<ManagementClient>('the management socket', () => target.client())
      if (client) {
        const list = await attempt('modules.json', () => client.json<ModuleList>('GET', '/modules'))
        if (list) add('modules.json', json(list))
        const info = await attempt('systeminfo.json', () => client.json('GET', '/systeminfo'))
        if (info) add('systeminfo.json', json(info))
        const res = await attempt('systeminfo-resources.json', () => client.json('GET', '/systeminfo/resources'))
        if (res) add('systeminfo-resources.json', json(res))
        for (const m of list?.modules ?? []) {
          io.stderr.write(`collecting the log of ${m.name}…\n`)
          const text = await attempt(`the log of ${m.name}`, () => readModuleLogs(client, m.name, { since, ...(until !== undefined ? { until } : {}), timestamps: true }, io.signal))
          if (text !== undefined) add(`logs/${fileSafe(m.name)}_log.txt`, text)
        }
      }
      if (problems.length > 0) {
        add('bundle-errors.txt', problems.join('\n') + '\n')
        for (const p of problems) io.stderr.write(`warning: not in the bundle: ${p}\n`)
      }

      const zip = new ZipFile()
      const mtime = new Date()
      for (const [name, text] of entries) zip.addBuffer(Buffer.from(text, 'utf8'), name, { mtime, mode: 0o100600 })
      zip.end()
      const partial = `${file}.partial`
      try {
        await pipeline(zip.outputStream, createWriteStream(partial, { mode: 0o600 }))
        await rename(partial, file)
      } catch (err) {
        await rm(partial, { force: true })
        throw errors.failure(`cannot write ${file}: ${(err as Error).message}`, err)
      }
      io.stdout.write(`${file}\n`)
    })
}
